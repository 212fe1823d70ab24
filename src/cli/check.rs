//! `backlint check`: gather the findings, filter them by the baseline, render them in the chosen
//! format, and write them.

use super::args::{ColorChoice, FailOn, HistoryArgs, PolicyArgs};
use super::ui::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Ui, io_reason};
use crate::analysis::{self, Analysed, Analysis, Message};
use crate::baseline::{self, Baseline};
use crate::diag::{Level, Problem};
use crate::engine::Finding;
use crate::report::human::{self, Style};
use crate::report::{self, Format};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `check` was asked to do: the arguments, used as they are.
#[derive(clap::Args, Debug)]
pub struct CheckPlan {
    /// Backlog files or folders [default: .]; `-` reads a backlog from standard input
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Lowest severity that makes the run fail (exit 1) [default: the policy's `fail_on`, else warning]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Report only findings that are not in this baseline, and list baseline entries that no longer occur
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings (by rule and item id) in FILE, replacing it atomically, and exit 0;
    /// `-` writes the baseline to standard output (backlog paths then relative to the current folder)
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Only these rules or groups run, whatever the policy turns off (comma-separated or repeated)
    #[arg(long, value_name = "RULE|GROUP", value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// These rules or groups run as well as the policy's
    #[arg(long, value_name = "RULE|GROUP", value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// These rules or groups do not run (a rule named in --select or --extend-select still runs
    /// when only its group is ignored)
    #[arg(long, value_name = "RULE|GROUP", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Leave out of folder walks what these patterns match (`.gitignore` syntax, relative to the
    /// current folder), beside what `.gitignore` files and the policy's `exclude` setting leave out;
    /// a file named on the command line is always checked
    #[arg(long, value_name = "GLOB", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// The path that standard input (`-`) stands for: how it is read (`.csv` as a Jira export,
    /// `.jsonl` as beads, else YAML), where its policy is found, and how findings name it
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "human", visible_alias = "output-format")]
    pub format: Format,
    /// Write the report to FILE instead of standard output (`-`). A regular file is replaced
    /// atomically and keeps its mode; a symlink is followed; a FIFO or device is written directly
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 0 even when there are findings (input and policy errors still exit 2)
    #[arg(long)]
    pub exit_zero: bool,
    /// Show only error-level findings (the exit code still follows --fail-on; the summary counts all)
    #[arg(long, short)]
    pub quiet: bool,
    /// Also print the number of findings per rule (to standard error for machine formats)
    #[arg(long)]
    pub statistics: bool,
    /// Print the effective policy (settings, rule changes, and the file and line of each) and exit
    #[arg(long)]
    pub show_policy: bool,
    /// Make the fixes that are safe to make (`rank` values renumbered to agree with the list order,
    /// `allow:` entries that silence nothing removed), replacing each file atomically, then check
    #[arg(long, conflicts_with_all = ["diff", "write_baseline", "staged", "output"])]
    pub fix: bool,
    /// Print the fixes `--fix` would make as a unified diff, without writing; exit 1 when there are some
    #[arg(long, conflicts_with_all = ["write_baseline", "staged", "output"])]
    pub diff: bool,
    #[command(flatten)]
    pub history: HistoryArgs,
}

pub fn run(ui: &mut Ui, plan: &CheckPlan) -> i32 {
    // Problems found before the analysis (a baseline or standard input that cannot be read) are
    // shown with the analysis's own, in every format.
    let mut early = Vec::new();
    let mut known = match &plan.baseline {
        Some(path) => match Baseline::read(path) {
            Ok(b) => Some(b.remaining()),
            Err(p) => {
                early.push(p);
                None
            }
        },
        None => None,
    };
    if plan.diff {
        return diff(ui, plan);
    }
    if plan.fix
        && let Err(exit) = fix(ui, plan)
    {
        return exit;
    }
    let analysis = gather(ui, plan, early);
    if let Some(target) = &plan.write_baseline {
        return write_baseline(ui, &analysis, target);
    }
    // Human output in a file is plain unless colour was asked for; elsewhere it follows the stream.
    let style = match output_file(plan) {
        Some(_) if ui.color == ColorChoice::Always => Style { color: true, ..Style::plain(100) },
        Some(_) => Style::plain(100),
        None => ui.out_style,
    };
    let mut rendered = Rendered::new(style);
    for Analysed { found, policy_key, backlog, mut findings, notices } in analysis.backlogs {
        let Some(policy) = analysis.policies.get(&policy_key).and_then(Option::as_ref) else { continue };
        if let (Some(known), Some(baseline_file)) = (&mut known, &plan.baseline) {
            rendered.hidden_by_baseline +=
                filter_by_baseline(&mut findings, known, &baseline::backlog_key(found.path(), baseline_file));
        }
        rendered.add(plan, found.path(), policy, &backlog, (findings, notices));
        // The process ends after the output: freeing a large backlog's million nodes one by one
        // held up the output by a tenth of a second, on one core, for memory the exit returns.
        std::mem::forget(backlog);
    }
    let rules: BTreeMap<String, &crate::policy::ir::CompiledRule> =
        analysis.policies.values().flatten().flat_map(|p| p.rules.iter()).map(|r| (r.name.clone(), r)).collect();
    let problems = || {
        analysis.messages.iter().flat_map(|m| match m {
            Message::Problems(p) => p.as_slice(),
            Message::Note(_) => &[],
        })
    };
    rendered.errors = report::InputError::list(problems());
    rendered.failed_inputs = problems().filter(|p| p.level == Level::Error).count();
    let failing = rendered.failing;
    let text = rendered.text(ui, plan, &rules);
    if let Err(exit) = write(ui, plan, &text) {
        return exit;
    }
    if let Some(known) = known {
        name_what_the_baseline_no_longer_needs(ui, known);
    }
    let exit = if analysis.failed {
        EXIT_ERROR
    } else if plan.exit_zero || !failing {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    };
    // As the backlogs: freeing every rule's tree was a twentieth of a small check.
    std::mem::forget(analysis.policies);
    exit
}

/// Every backlog under the paths, analysed; problems and notes are shown as the analysis found them,
/// after the `early` ones. A baseline that cannot be read stops the run before any backlog is read.
fn gather(ui: &mut Ui, plan: &CheckPlan, mut early: Vec<Problem>) -> Analysis {
    let baseline_failed = !early.is_empty();
    let mut documents = analysis::Documents::new();
    let stdin = Path::new("-");
    let stdin_name = plan.stdin_filename.clone().unwrap_or_else(|| stdin.to_path_buf());
    let reads_stdin = plan.paths.iter().any(|p| p == stdin) || (plan.paths.is_empty() && plan.stdin_filename.is_some());
    let mut paths: Vec<PathBuf> =
        plan.paths.iter().map(|p| if p == stdin { stdin_name.clone() } else { p.clone() }).collect();
    if reads_stdin {
        match crate::files::input::read_stream(std::io::stdin().lock(), &stdin_name) {
            Ok(text) => {
                documents.insert(&stdin_name, text);
                if paths.is_empty() {
                    paths.push(stdin_name.clone());
                }
            }
            Err(p) => {
                early.push(p);
                paths.retain(|p| *p != stdin_name);
            }
        }
    } else if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let request = analysis::Request { paths, documents, ..request(plan) };
    let mut analysis = if baseline_failed {
        Analysis { policies: BTreeMap::new(), backlogs: Vec::new(), messages: Vec::new(), failed: true }
    } else {
        analysis::analyse(&request)
    };
    if !early.is_empty() {
        analysis.messages.insert(0, Message::Problems(early));
        analysis.failed = true;
    }
    ui.messages(&analysis.messages);
    analysis
}

fn request(plan: &CheckPlan) -> analysis::Request {
    analysis::Request {
        paths: if plan.paths.is_empty() { vec![PathBuf::from(".")] } else { plan.paths.clone() },
        policy: plan.policy.policy.clone(),
        history: (&plan.history).into(),
        documents: analysis::Documents::new(),
        policy_cache: None,
        exclude: plan.exclude.clone(),
        selection: crate::policy::Selection {
            select: plan.select.clone(),
            extend: plan.extend_select.clone(),
            ignore: plan.ignore.clone(),
        },
    }
}

/// `--diff`: the fixes as a unified diff; exit 1 when there is any, 2 on input errors.
fn diff(ui: &mut Ui, plan: &CheckPlan) -> i32 {
    let analysis = gather(ui, plan, Vec::new());
    let fixes = crate::fix::fix_analysis(&analysis);
    for f in &fixes {
        let _ = write!(ui.out, "{}", crate::fix::unified_diff(&f.name, &f.before, &f.edits));
    }
    if analysis.failed {
        EXIT_ERROR
    } else if fixes.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }
}

/// `--fix`: makes the fixes, each file replaced atomically, and says what was fixed; the check that
/// follows reports what is left. Problems are shown by that check, not twice.
fn fix(ui: &mut Ui, plan: &CheckPlan) -> Result<(), i32> {
    let analysis = analysis::analyse(&request(plan));
    for f in crate::fix::fix_analysis(&analysis) {
        if let Err(e) = crate::files::output::write_file(&f.path, f.after.as_bytes()) {
            ui.problem(&Problem::error("I0084", format!("cannot write the fixes to `{}`: {}", f.name, io_reason(&e))));
            return Err(EXIT_ERROR);
        }
        let plural = if f.made == 1 { "" } else { "es" };
        let mut said = format!("{}: {} fix{plural} made", f.name, f.made);
        if f.skipped > 0 {
            said += &format!(", {} left for another `--fix` (they change the same lines)", f.skipped);
        }
        ui.note(&said);
    }
    Ok(())
}

/// The baseline key of a finding in the backlog whose key is `file_key`.
fn baseline_key(file_key: &str, f: &Finding) -> baseline::Key {
    (file_key.to_string(), f.rule.clone(), f.subject.clone().unwrap_or_default())
}

/// Drops the findings the baseline knows (each entry as many times as it was recorded); returns
/// how many were dropped.
fn filter_by_baseline(
    findings: &mut Vec<Finding>,
    known: &mut BTreeMap<baseline::Key, usize>,
    file_key: &str,
) -> usize {
    let before = findings.len();
    findings.retain(|f| match known.get_mut(&baseline_key(file_key, f)) {
        Some(n) if *n > 0 => {
            *n -= 1;
            false
        }
        _ => true,
    });
    before - findings.len()
}

/// `--write-baseline`: records today's findings and exits 0, unless the input had errors.
fn write_baseline(ui: &mut Ui, analysis: &Analysis, target: &Path) -> i32 {
    if analysis.failed {
        ui.say("the baseline was not written: fix the errors above first");
        return EXIT_ERROR;
    }
    let mut recorded: Vec<baseline::Key> = Vec::new();
    let mut checked = 0;
    for a in &analysis.backlogs {
        if analysis.policy_of(a).is_none() {
            continue;
        }
        checked += 1;
        let file_key = baseline::backlog_key(a.found.path(), target);
        recorded.extend(a.findings.iter().map(|f| baseline_key(&file_key, f)));
    }
    let baseline = Baseline::from_keys(recorded);
    let total: usize = baseline.entries.iter().map(|e| e.count).fold(0, usize::saturating_add);
    let plural = if checked == 1 { "" } else { "s" };
    if crate::files::output::is_stdout(target) {
        let _ = write!(ui.out, "{}", baseline.to_json());
        ui.note(&format!("recorded {total} findings of {checked} backlog{plural}"));
        return EXIT_CLEAN;
    }
    if let Err(e) = crate::files::output::write_file(target, baseline.to_json().as_bytes()) {
        ui.problem(&Problem::error(
            "I0052",
            format!("cannot write the baseline `{}`: {}", target.display(), io_reason(&e)),
        ));
        return EXIT_ERROR;
    }
    ui.say(&format!("recorded {total} findings of {checked} backlog{plural} in {}", target.display()));
    EXIT_CLEAN
}

/// The findings of every backlog, rendered as they come, and what the summary line counts.
struct Rendered {
    style: Style,
    /// Backlogs checked.
    checked: usize,
    /// Findings per level (info, warning, error), before `--quiet` hides any.
    counts: [usize; 3],
    hidden_by_baseline: usize,
    hidden_by_quiet: usize,
    /// A finding at or above the failing severity.
    failing: bool,
    human: String,
    /// Set-up notices, shown before the findings.
    notices_human: String,
    rows: Vec<report::Checked>,
    summaries: Vec<report::Summary>,
    /// Input and policy problems, for the formats that carry them.
    errors: Vec<report::InputError>,
    /// How many of those fail the run (every one, not only those listed).
    failed_inputs: usize,
}

impl Rendered {
    fn new(style: Style) -> Self {
        Rendered {
            style,
            checked: 0,
            counts: [0; 3],
            hidden_by_baseline: 0,
            hidden_by_quiet: 0,
            failing: false,
            human: String::new(),
            notices_human: String::new(),
            rows: Vec::new(),
            summaries: Vec::new(),
            errors: Vec::new(),
            failed_inputs: 0,
        }
    }

    fn add(
        &mut self,
        plan: &CheckPlan,
        path: &Path,
        policy: &crate::policy::ir::CompiledPolicy,
        backlog: &crate::model::Backlog,
        (mut findings, notices): (Vec<Finding>, Vec<Finding>),
    ) {
        let threshold = plan.fail_on.map(Level::from).unwrap_or(policy.settings.fail_on);
        self.checked += 1;
        self.failing |= findings.iter().any(|f| f.level >= threshold);
        // The summary counts every finding, so that a failing run never reads "no findings".
        for (total, n) in self.counts.iter_mut().zip(human::count(findings.iter().map(|f| f.level))) {
            *total += n;
        }
        if plan.quiet {
            let before = findings.len();
            findings.retain(|f| f.level == Level::Error);
            self.hidden_by_quiet += before - findings.len();
        }
        let notices: Vec<report::Row> = notices.iter().map(|f| report::Row::new(backlog, f)).collect();
        if plan.format == Format::Human {
            for n in &notices {
                self.notices_human += &human::notice(n, self.style);
            }
            // The most severe first; within a severity, the backlog's order.
            findings.sort_by_key(|f| std::cmp::Reverse(f.level));
            self.human +=
                &crate::parallel::map(&findings, 2_000, |f| human::render(&f.to_problem(backlog), self.style)).concat();
        }
        let name = crate::text::display_path(path);
        let rows = crate::parallel::map(&findings, 2_000, |f| report::Row::new(backlog, f));
        if plan.format == Format::Markdown {
            let figures = report::figures::compute(policy, backlog, &findings);
            self.summaries.push(report::Summary { name: name.clone(), figures, compare: None });
        }
        self.rows.push(report::Checked { name, rows, notices });
    }

    /// The whole output in the chosen format, with the statistics and the summary line where the
    /// format has room for them.
    fn text(self, ui: &mut Ui, plan: &CheckPlan, rules: &BTreeMap<String, &crate::policy::ir::CompiledRule>) -> String {
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for r in self.rows.iter().flat_map(|c| &c.rows) {
            *per_rule.entry(&r.rule).or_default() += 1;
        }
        let mut per_rule: Vec<(&str, usize)> = per_rule.into_iter().collect();
        per_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let statistics: String = per_rule.iter().map(|(rule, n)| format!("{n:>6}  {rule}\n")).collect();
        let mut text = match plan.format {
            // A blank line parts the set-up notices from the findings, as it parts the findings.
            Format::Human if self.notices_human.is_empty() => self.human,
            Format::Human => self.notices_human + "\n" + &self.human,
            Format::Json => report::json(&self.rows, &self.errors, rules),
            Format::Sarif => report::sarif(&self.rows, &self.errors, rules),
            Format::Github => report::github(&self.rows, &self.errors),
            Format::Junit => report::junit(&self.rows, &self.errors),
            Format::Short => report::short(&self.rows, &self.errors),
            Format::Markdown => report::markdown(&self.summaries, &self.rows, &self.errors, rules),
            Format::Gitlab => report::gitlab(&self.rows, &self.errors, &gitlab_path()),
        };
        // Machine formats stay parseable: statistics go to standard error, and there is no summary line.
        let machine = !matches!(plan.format, Format::Human | Format::Short);
        if plan.statistics && !statistics.is_empty() {
            if machine {
                let _ = write!(ui.err, "{statistics}");
            } else {
                text += &statistics;
            }
        }
        // The summary never reads as a clean run when an input could not be read.
        let inputs = match self.failed_inputs {
            0 => String::new(),
            1 => "1 input error".to_string(),
            n => format!("{n} input errors"),
        };
        if self.checked == 0 && !machine && !inputs.is_empty() {
            text += &format!("{inputs}; no backlog checked\n");
        }
        if self.checked > 0 && !machine {
            text += &human::summary(self.counts, self.checked);
            if !inputs.is_empty() {
                text += &format!("; {inputs}");
            }
            text += &human::undeclared(self.rows.iter().flat_map(|c| &c.notices));
            if self.hidden_by_baseline > 0 {
                text += &format!(" ({} known from the baseline not shown)", self.hidden_by_baseline);
            }
            if self.hidden_by_quiet > 0 {
                text += &format!(" ({} below error not shown: --quiet)", self.hidden_by_quiet);
            }
            text += "\n";
            if self.counts.iter().sum::<usize>() > self.hidden_by_quiet && plan.format == Format::Human {
                text += "run `backlint explain RULE` to see why a rule matters and how to fix it\n";
            }
        }
        text
    }
}

/// GitLab links a Code Quality issue's path into the repository: paths are made relative to
/// `CI_PROJECT_DIR` when GitLab sets it and the file lies below it, as ruff does.
fn gitlab_path() -> impl Fn(&str) -> String {
    let project = std::env::var_os("CI_PROJECT_DIR").map(|d| std::fs::canonicalize(&d).unwrap_or_else(|_| d.into()));
    move |file: &str| {
        let Some(project) = &project else { return file.to_string() };
        let real = std::fs::canonicalize(file).unwrap_or_else(|_| PathBuf::from(file));
        match real.strip_prefix(project) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => file.to_string(),
        }
    }
}

/// The file named by `--output`, unless it names standard output.
fn output_file(plan: &CheckPlan) -> Option<&Path> {
    plan.output.as_deref().filter(|p| !crate::files::output::is_stdout(p))
}

fn write(ui: &mut Ui, plan: &CheckPlan, text: &str) -> Result<(), i32> {
    match output_file(plan) {
        Some(path) => {
            if let Err(e) = crate::files::output::write_file(path, text.as_bytes()) {
                ui.problem(&Problem::error("I0053", format!("cannot write `{}`: {}", path.display(), io_reason(&e))));
                return Err(EXIT_ERROR);
            }
        }
        None => {
            let _ = write!(ui.out, "{text}");
        }
    }
    Ok(())
}

/// Baseline entries that no longer occur, so that the baseline can shrink.
fn name_what_the_baseline_no_longer_needs(ui: &mut Ui, known: BTreeMap<baseline::Key, usize>) {
    let gone: Vec<_> = known.into_iter().filter(|(_, n)| *n > 0).collect();
    if gone.is_empty() {
        return;
    }
    let n = gone.iter().map(|(_, n)| *n).fold(0, usize::saturating_add);
    let plural = if n == 1 { " no longer occurs" } else { "s no longer occur" };
    ui.note(&format!("{n} baseline finding{plural}; shrink the baseline with --write-baseline:"));
    for ((file, rule, item), count) in gone {
        let item = if item.is_empty() { String::new() } else { format!(" on `{item}`") };
        let times = if count > 1 { format!(" ({count}×)") } else { String::new() };
        ui.note(&format!("  {file}: `{rule}`{item}{times}"));
    }
}
