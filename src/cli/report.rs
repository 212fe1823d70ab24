//! `backlint report`: the health report of each backlog, as one HTML page or a Markdown summary,
//! with the figures at an earlier revision beside today's for `--compare`.

use super::args::{HistoryArgs, PolicyArgs};
use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::analysis::{self, Analysed};
use crate::diag::Problem;
use crate::policy::ir::CompiledPolicy;
use crate::report::figures::{self, Figures};
use clap::ValueEnum;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReportPlan {
    /// Backlog files or folders [default: .]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Write the report to FILE, as `check --output` does; `-` is standard output, even a terminal
    /// [default: standard output, when it is not a terminal]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report format: one self-contained HTML page, or a Markdown summary for pull requests
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// Show the health figures at git revision REV beside today's
    #[arg(long, value_name = "REV")]
    pub compare: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Markdown,
}

pub fn run(ui: &mut Ui, plan: &ReportPlan) -> i32 {
    if plan.output.is_none() && plan.format == ReportFormat::Html && std::io::stdout().is_terminal() {
        ui.problem(
            &Problem::error("I0063", "the HTML report needs somewhere to go")
                .help("give `--output report.html`, or redirect standard output to a file"),
        );
        return EXIT_ERROR;
    }
    let history: analysis::HistoryOptions = (&plan.history).into();
    let request = analysis::Request {
        paths: if plan.paths.is_empty() { vec![PathBuf::from(".")] } else { plan.paths.clone() },
        policy: plan.policy.policy.clone(),
        history: history.clone(),
        ..Default::default()
    };
    let analysis = analysis::analyse(&request);
    ui.messages(&analysis.messages);
    // A report that silently leaves out a backlog (a path that does not exist, an unreadable file, a
    // broken policy) would read as a healthy one: nothing is written, as for any other input error.
    if analysis.failed {
        ui.note("no report written: fix the errors above first");
        return EXIT_ERROR;
    }
    let mut failed = false;
    let mut reports = Vec::new();
    for a in &analysis.backlogs {
        let Some(policy) = analysis.policy_of(a) else { continue };
        let now = figures::compute(policy, &a.backlog, &a.findings);
        let then = match &plan.compare {
            Some(rev) => match figures_at(ui, a, policy, rev, &history) {
                Ok(f) => Some((rev.clone(), f)),
                Err(p) => {
                    ui.problem(&p);
                    failed = true;
                    None
                }
            },
            None => None,
        };
        reports.push((checked(a), policy, now, then));
    }
    let rules: BTreeMap<String, &crate::policy::ir::CompiledRule> =
        analysis.policies.values().flatten().flat_map(|p| p.rules.iter()).map(|r| (r.name.clone(), r)).collect();
    let text = match plan.format {
        ReportFormat::Markdown => {
            let mut summaries = Vec::new();
            let mut checked = Vec::new();
            for (a, _, now, then) in &reports {
                let name = a.name.clone();
                let rows = a.findings.iter().map(|f| crate::report::Row::new(a.backlog, f)).collect();
                summaries.push(crate::report::Summary {
                    name: name.clone(),
                    figures: now.clone(),
                    compare: then.clone(),
                });
                let notices = a.notices.iter().map(|f| crate::report::Row::new(a.backlog, f)).collect();
                checked.push(crate::report::Checked { name, rows, notices });
            }
            let problems = analysis.messages.iter().flat_map(|m| match m {
                analysis::Message::Problems(p) => p.as_slice(),
                analysis::Message::Note(_) => &[],
            });
            crate::report::markdown(&summaries, &checked, &crate::report::InputError::list(problems), &rules)
        }
        ReportFormat::Html => match crate::report::html::page(&reports, plan.compare.as_deref()) {
            Ok(page) => page,
            Err(e) => {
                ui.problem(&Problem::error("I0056", format!("cannot render the report: {e}")));
                return EXIT_ERROR;
            }
        },
    };
    match plan.output.as_deref().filter(|p| !crate::files::output::is_stdout(p)) {
        Some(path) => {
            if let Err(e) = crate::files::output::write_file(path, text.as_bytes()) {
                ui.problem(&Problem::error("I0053", format!("cannot write `{}`: {e}", path.display())));
                return EXIT_ERROR;
            }
            ui.note(&format!("wrote {} ({} bytes)", path.display(), text.len()));
        }
        None => {
            let _ = ui.out.write_all(text.as_bytes());
        }
    }
    if failed { EXIT_ERROR } else { EXIT_CLEAN }
}

fn checked(a: &Analysed) -> crate::report::html::Checked<'_> {
    crate::report::html::Checked {
        name: crate::text::display_path(a.found.path()),
        backlog: &a.backlog,
        findings: &a.findings,
        notices: &a.notices,
    }
}

/// For tests: the HTML report of the backlog at `path`, as `backlint report` writes it.
pub fn render_file(path: &std::path::Path) -> String {
    let request = analysis::Request { paths: vec![path.to_path_buf()], ..Default::default() };
    let analysis = analysis::analyse(&request);
    let reports: Vec<crate::report::html::Report> = analysis
        .backlogs
        .iter()
        .filter_map(|a| {
            let policy = analysis.policy_of(a)?;
            Some((checked(a), policy, figures::compute(policy, &a.backlog, &a.findings), None))
        })
        .collect();
    crate::report::html::page(&reports, None).unwrap_or_default()
}

/// The figures of the same backlog as it was at `rev`, checked with the same policy.
fn figures_at(
    ui: &mut Ui,
    a: &Analysed,
    policy: &CompiledPolicy,
    rev: &str,
    history: &analysis::HistoryOptions,
) -> Result<Figures, Problem> {
    match analysis::at_revision(a, policy, rev, history) {
        Ok((backlog, findings, notes)) => {
            for note in notes {
                ui.note(&note);
            }
            Ok(figures::compute(policy, &backlog, &findings))
        }
        Err(why) => {
            let name = crate::text::display_path(a.found.path());
            Err(Problem::error("I0057", format!("cannot read `{name}` at `{rev}`: {why}"))
                .help("give a revision where the backlog exists, such as a tag, a branch or `HEAD~10`"))
        }
    }
}
