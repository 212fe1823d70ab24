#![no_main]
//! The policy compiler on the input alone (parse, check, IR), without the built-in rules, so each
//! run is fast.
use backlint::policy::check::{compile, Parsed};
use backlint::text::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new("f.policy", text);
    if let Ok(policy) = backlint::policy::parse::parse(&file) {
        let _ = compile(&[Parsed { file, policy, builtin: false }]);
    }
});
