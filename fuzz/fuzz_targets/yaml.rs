#![no_main]
//! The YAML source and the built-in rules over whatever it accepts.
use backlint::policy::ir::CompiledPolicy;
use backlint::text::SourceFile;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static POLICY: LazyLock<CompiledPolicy> = LazyLock::new(|| backlint::policy::compile(&[]).0);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new("f.yaml", text);
    if let Ok(root) = backlint::yaml::parse(&file, Default::default())
        && let Ok(backlog) = backlint::model::Backlog::from_yaml(file, root)
    {
        let _ = backlint::engine::run(&POLICY, &backlog);
    }
});
