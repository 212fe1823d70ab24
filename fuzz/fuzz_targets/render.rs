#![no_main]
//! What a hostile file can make the renderers print: the YAML source, the built-in rules, then every
//! finding and every input problem through the human, short, github and junit renderers (quoted windows of
//! long lines, escaped control characters, merge-conflict naming). None may panic, and no rendered
//! text may carry a raw control character other than a line break or a tab (which terminals and
//! logs show as space).
use backlint::policy::ir::CompiledPolicy;
use backlint::report::human::{self, Style};
use backlint::report::{Checked, InputError, Row};
use backlint::text::SourceFile;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static POLICY: LazyLock<CompiledPolicy> = LazyLock::new(|| backlint::policy::compile(&[]).0);

fn assert_visible(text: &str) {
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "raw control character in {text:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new("f\u{1b}.yaml", text);
    let problems = match backlint::yaml::parse(&file, Default::default()) {
        Ok(root) => match backlint::model::Backlog::from_yaml(file, root) {
            Ok(backlog) => {
                let findings = backlint::engine::run(&POLICY, &backlog);
                for f in findings.iter().take(50) {
                    assert_visible(&human::render(&f.to_problem(&backlog), Style::plain(80)));
                }
                let rows = findings.iter().take(50).map(|f| Row::new(&backlog, f)).collect();
                let checked = [Checked { name: "f\u{1b}.yaml".into(), rows, notices: Vec::new() }];
                assert_visible(&backlint::report::short(&checked, &[]));
                assert_visible(&backlint::report::github(&checked, &[]));
                return;
            }
            Err(problems) => problems,
        },
        Err(problems) => problems,
    };
    for p in problems.iter().take(50) {
        assert_visible(&human::render(p, Style::plain(80)));
    }
    // Input errors travel in the machine formats too, escaped as the findings are.
    let errors = InputError::list(problems.iter().take(50));
    assert_visible(&backlint::report::short(&[], &errors));
    assert_visible(&backlint::report::github(&[], &errors));
    assert_visible(&backlint::report::junit(&[], &errors));
});
