#![no_main]
//! The policy compiler: parse, check, IR.
use backlint::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = backlint::policy::compile(&[SourceFile::new("f.policy", text)]);
});
