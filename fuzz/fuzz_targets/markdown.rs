#![no_main]
//! One Backlog.md task file: front matter and Markdown body.
use backlint::text::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = backlint::source::backlog_md::task(&SourceFile::new("t.md", text), 1);
});
