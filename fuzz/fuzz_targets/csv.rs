#![no_main]
//! A Jira CSV export.
use backlint::text::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = backlint::source::jira_csv::load(SourceFile::new("e.csv", text));
});
