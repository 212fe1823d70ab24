//! Command-line interface: arguments are lowered to one resolved plan per command, then run.

pub mod init;

use crate::baseline::{self, Baseline};
use crate::diag::{Level, Problem, did_you_mean};
use crate::engine;
use crate::model::Backlog;
use crate::policy::{self, ir::CompiledPolicy};
use crate::report::human::{self, Style};
use crate::source::discover;
use crate::text::SourceFile;
use crate::yaml;
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// A linter for Scrum Product Backlogs: checks a backlog against Product Owner practice and your
/// team's own policies, and explains why each finding matters.
#[derive(Parser, Debug)]
#[command(name = "backlint", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// Largest file backlint reads, in MB; bigger files are refused unread
    #[arg(long, global = true, value_name = "MB", env = "BACKLINT_MAX_FILE_SIZE", default_value_t = crate::files::input::DEFAULT_MAX_FILE_MB)]
    pub max_file_size: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check backlogs (files, or folders searched for backlog.yaml, backlog.yml, *.backlog.yaml)
    Check(CheckPlan),
    /// Write a backlog health report: figures, charts and findings (HTML, or Markdown for pull requests)
    Report(ReportPlan),
    /// List the rules: name, group, severity and summary
    Rules {
        #[command(flatten)]
        policy: PolicyArgs,
        /// Only the rules of this group (goal, ordering, refinement, role, …)
        #[arg(long)]
        group: Option<String>,
    },
    /// Run the examples that policies carry (`test` blocks): the built-in rules' and your policy's
    Test {
        /// Policy files whose tests to run [default: the built-in rules and the discovered policy]
        policies: Vec<PathBuf>,
    },
    /// Write a starter backlint.policy (and a starter backlog.yaml when there is no backlog) here
    Init {
        /// Overwrite existing files
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Man,
    /// Explain a rule: what it checks, why it matters, how to fix it, with an example
    Explain {
        /// The rule's name, e.g. missing-acceptance-criteria
        rule: String,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// Policy file to use [default: the nearest backlint.policy above the backlog, or above the current folder]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

impl From<FailOn> for Level {
    fn from(f: FailOn) -> Level {
        match f {
            FailOn::Error => Level::Error,
            FailOn::Warning => Level::Warning,
            FailOn::Info => Level::Info,
        }
    }
}

pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_CLEAN };
        }
    };
    crate::files::input::set_max_file_mb(args.max_file_size);
    let out_style = Style::detect(std::io::stdout().is_terminal());
    let err_style = Style::detect(std::io::stderr().is_terminal());
    let mut out = crate::files::output::Checked::new(std::io::stdout().lock());
    let mut err = std::io::stderr().lock();
    let mut ui = Ui { out: &mut out, err: &mut err, out_style, err_style };
    let exit = run(&mut ui, args.command);
    // Output that did not arrive is a failed run, whichever command wrote it.
    match out.finish() {
        Some(e) => {
            let reason = match e.kind() {
                std::io::ErrorKind::BrokenPipe => "the reader closed the pipe".to_string(),
                _ => io_reason(&e),
            };
            let problem = Problem::error("I0058", format!("cannot write to standard output: {reason}"));
            let _ = write!(err, "{}", human::render(&problem, err_style));
            EXIT_ERROR
        }
        None => exit,
    }
}

fn run(ui: &mut Ui, command: Command) -> i32 {
    match command {
        Command::Check(plan) if plan.show_policy => show_policy(ui, &plan.paths, plan.policy.policy.as_deref()),
        Command::Check(plan) => check(ui, &plan),
        Command::Report(plan) => crate::report::html::run(ui, &plan),
        Command::Rules { policy, group } => rules(ui, policy.policy.as_deref(), group.as_deref()),
        Command::Explain { rule, policy } => explain(ui, &rule, policy.policy.as_deref()),
        Command::Test { policies } => self_test(ui, &policies),
        Command::Init { force } => crate::cli::init::run(ui, force),
        Command::Completions { shell } => {
            // Rendered into memory first: clap_complete panics when its writer fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Args as clap::CommandFactory>::command(), "backlint", &mut script);
            let _ = ui.out.write_all(&script);
            EXIT_CLEAN
        }
        Command::Man => {
            // A failed write to standard output is reported by `main`, as for every command.
            let mut page = Vec::new();
            match clap_mangen::Man::new(<Args as clap::CommandFactory>::command()).render(&mut page) {
                Ok(()) => {
                    let _ = ui.out.write_all(&page);
                    EXIT_CLEAN
                }
                Err(e) => {
                    ui.problem(&Problem::error("I0054", format!("cannot render the man page: {e}")));
                    EXIT_ERROR
                }
            }
        }
    }
}

/// Where output goes; findings go to stdout, problems that stop the run to stderr. Writes to `out`
/// may ignore errors: `main` sees the first one and makes the run exit 2.
pub struct Ui<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub out_style: Style,
    pub err_style: Style,
}

impl Ui<'_> {
    pub fn problem(&mut self, p: &Problem) {
        let _ = write!(self.err, "{}", human::render(p, self.err_style));
    }
    /// Several problems, at most a bounded number per file.
    pub fn problems(&mut self, problems: &[Problem]) {
        let _ = write!(self.err, "{}", human::problems(problems, self.err_style));
    }
    /// Text for people: names, values and notes from files and git are shown with hidden characters
    /// escaped, as everywhere a terminal reads them.
    pub fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", crate::escape::visible(text));
    }
    /// A remark beside the results (standard error, so machine formats stay parseable).
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.err, "{}", crate::escape::visible_line(text));
    }
}

/// A source file, read only if it is a regular file inside the repository around it.
fn read_source(path: &Path) -> Result<SourceFile, Problem> {
    crate::files::input::read_source(path, &crate::files::input::root_of(path))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The policy files read so far, and the chain of includes being followed (indexed, so that
/// following thousands of includes stays linear).
#[derive(Default)]
struct Includes {
    /// Where includes must stay: the repository, or outside git the first policy's folder tree;
    /// found once, with the first policy file.
    root: Option<PathBuf>,
    chain: Vec<PathBuf>,
    position_in_chain: HashMap<PathBuf, usize>,
    read: HashSet<PathBuf>,
}

/// A policy file and, before it, every file it includes (each once), in the order they apply.
/// An include cycle is reported at the `include` that closes it.
fn policy_files(
    path: &Path,
    includes: &mut Includes,
    out: &mut Vec<(PathBuf, SourceFile)>,
    problems: &mut Vec<Problem>,
    via: Option<(&SourceFile, crate::text::Span)>,
) {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let located = |p: Problem| match via {
        Some((file, span)) => p.in_file(file).label(span, "included here"),
        None => p,
    };
    if let Some(&start) = includes.position_in_chain.get(&key) {
        let mut chain: Vec<String> =
            includes.chain[start..].iter().chain([&key]).map(|k| crate::text::display_path(k)).collect();
        // A long cycle is named by its ends: where it starts, and the include that closes it.
        if chain.len() > 8 {
            let hidden = chain.len() - 6;
            chain.splice(3..chain.len() - 3, [format!("… {hidden} more …")]);
        }
        problems.push(
            located(Problem::error("P0016", format!("policy files include each other: {}", chain.join(" → "))))
                .help("remove one of the `include` lines"),
        );
        return;
    }
    if includes.read.contains(&key) {
        return;
    }
    let file = match read_source(path) {
        Ok(f) => f,
        Err(p) => {
            problems.push(located(p));
            return;
        }
    };
    if let Ok(parsed) = policy::parse::parse(&file) {
        includes.position_in_chain.insert(key.clone(), includes.chain.len());
        includes.chain.push(key.clone());
        for d in &parsed.declarations {
            if let policy::ast::Declaration::Include { path: target } = d {
                let rel = target.as_plain().unwrap_or_default();
                let root = includes.root.get_or_insert_with(|| crate::files::input::root_of(path));
                match crate::files::input::resolve_include(path, &rel, root) {
                    Ok(resolved) => policy_files(&resolved, includes, out, problems, Some((&file, target.span))),
                    Err(why) => problems.push(
                        Problem::error("P0017", format!("`include \"{rel}\"` is refused: {why}"))
                            .in_file(&file)
                            .label(target.span, "included here")
                            .help("copy the rules into a policy file inside the repository and include that"),
                    ),
                }
            }
        }
        includes.chain.pop();
        includes.position_in_chain.remove(&key);
    }
    includes.read.insert(key.clone());
    out.push((key, file));
}

/// Compiles the built-in rules plus one user policy file (if any) and what it includes. Problems are
/// printed.
fn load_policy(ui: &mut Ui, policy_file: Option<&Path>) -> Option<CompiledPolicy> {
    load_policy_files(ui, policy_file).map(|(policy, _)| policy)
}

/// Like `load_policy`, also naming the user policy files in the order they apply.
fn load_policy_files(ui: &mut Ui, policy_file: Option<&Path>) -> Option<(CompiledPolicy, Vec<String>)> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    if let Some(path) = policy_file {
        policy_files(path, &mut Includes::default(), &mut files, &mut problems, None);
    }
    if !problems.is_empty() {
        ui.problems(&problems);
        return None;
    }
    let user: Vec<SourceFile> = files.into_iter().map(|(_, f)| f).collect();
    let (policy, problems) = policy::compile(&user);
    ui.problems(&problems);
    problems.is_empty().then(|| (policy, user.into_iter().map(|f| f.name).collect()))
}

fn cwd_policy() -> Option<PathBuf> {
    std::env::current_dir().ok().and_then(|d| discover::policy_for(&d))
}

/// The policy found above `start`, else above the current folder. A policy the search ignored
/// because it lies in a shared folder is named once per run.
fn discovered_policy(ui: &mut Ui, start: &Path) -> Option<PathBuf> {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let near = discover::policy_search(start);
    if near.found.is_some() {
        return near.found;
    }
    // The current folder is searched only when the backlog's own search found nothing.
    let cwd = discover::policy_search(&std::env::current_dir().unwrap_or_default());
    if cwd.found.is_some() {
        return cwd.found;
    }
    if let Some((policy, shared)) = near.ignored.as_ref().or(cwd.ignored.as_ref())
        && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        ui.note(&format!(
            "note: `{}` was not applied: the search for a policy stops at `{}`, a folder another user owns or anyone may write to; pass it with --policy if you trust it",
            policy.display(),
            shared.display()
        ));
    }
    None
}

/// What `check` was asked to do: the arguments, used as they are.
#[derive(clap::Args, Debug)]
pub struct CheckPlan {
    /// Backlog files or folders [default: .]
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
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::report::Format,
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
    #[command(flatten)]
    pub history: HistoryArgs,
}

#[derive(clap::Args, Debug, Default)]
pub struct HistoryArgs {
    /// Do not read the backlog's git history (the history rules then see only the `ordering_log`)
    #[arg(long, conflicts_with_all = ["since", "staged"])]
    pub no_history: bool,
    /// Read the git history only after DATE (`2026-09-01`, ISO 8601) or after revision REV
    #[arg(long, value_name = "DATE|REV", conflicts_with = "staged")]
    pub since: Option<String>,
    /// Pre-commit view: check the staged backlog, and judge the reorders it makes against HEAD
    /// (by the committer from git config) instead of the whole history
    #[arg(long)]
    pub staged: bool,
    /// With --staged, at the `commit-msg` stage: the file holding the commit message being written,
    /// whose `Reorder-Rationale:` trailer or explanation gives the staged moves their rationale
    #[arg(long, value_name = "FILE", requires = "staged")]
    pub commit_msg: Option<PathBuf>,
}

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

fn check(ui: &mut Ui, plan: &CheckPlan) -> i32 {
    let paths = if plan.paths.is_empty() { vec![PathBuf::from(".")] } else { plan.paths.clone() };
    let mut known = match &plan.baseline {
        Some(path) => match Baseline::read(path) {
            Ok(b) => Some(b.remaining()),
            Err(p) => {
                ui.problem(&p);
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let key_file = plan.baseline.as_deref().or(plan.write_baseline.as_deref());
    let analysis = analyse(ui, &paths, plan.policy.policy.as_deref(), &plan.history);
    let failed = analysis.failed;
    let mut counts = [0usize; 3];
    let (mut checked, mut hidden) = (0, 0);
    let mut recorded: Vec<baseline::Key> = Vec::new();
    let mut exit = EXIT_CLEAN;
    let mut checked_rows: Vec<crate::report::Checked> = Vec::new();
    let mut summaries: Vec<crate::report::Summary> = Vec::new();
    let mut human = String::new();
    let output_file = plan.output.as_deref().filter(|p| !crate::files::output::is_stdout(p));
    // Human output in a file is plain; on the terminal it follows the terminal.
    let style = if output_file.is_some() { Style::plain(100) } else { ui.out_style };
    let mut hidden_by_quiet = 0;
    for Analysed { found, policy_key, backlog, mut findings } in analysis.backlogs {
        let path = found.path();
        let Some(policy) = analysis.policies.get(&policy_key).and_then(Option::as_ref) else { continue };
        checked += 1;
        if let Some(key_file) = key_file {
            let file_key = baseline::backlog_key(path, key_file);
            let key = |f: &engine::Finding| (file_key.clone(), f.rule.clone(), f.subject.clone().unwrap_or_default());
            if plan.write_baseline.is_some() {
                recorded.extend(findings.iter().map(key));
                continue;
            }
            if let Some(known) = &mut known {
                findings.retain(|f| match known.get_mut(&key(f)) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        hidden += 1;
                        false
                    }
                    _ => true,
                });
            }
        }
        let threshold = plan.fail_on.map(Level::from).unwrap_or(policy.settings.fail_on);
        if findings.iter().any(|f| f.level >= threshold) {
            exit = EXIT_FINDINGS;
        }
        // The summary counts every finding, so that a failing run never reads "no findings".
        for (total, n) in counts.iter_mut().zip(human::count(findings.iter().map(|f| f.level))) {
            *total += n;
        }
        if plan.quiet {
            let before = findings.len();
            findings.retain(|f| f.level == Level::Error);
            hidden_by_quiet += before - findings.len();
        }
        if plan.format == crate::report::Format::Human {
            human +=
                &crate::parallel::map(&findings, 2_000, |f| human::render(&f.to_problem(&backlog), style)).concat();
        }
        let name = crate::text::display_path(path);
        let rows = crate::parallel::map(&findings, 2_000, |f| crate::report::Row::new(&backlog, f));
        if plan.format == crate::report::Format::Markdown {
            let figures = crate::report::figures::compute(policy, &backlog, &findings);
            summaries.push(crate::report::Summary { name: name.clone(), figures, compare: None });
        }
        checked_rows.push(crate::report::Checked { name, rows });
    }
    if let Some(target) = &plan.write_baseline {
        if failed {
            ui.say("the baseline was not written: fix the errors above first");
            return EXIT_ERROR;
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
        return EXIT_CLEAN;
    }
    let rules: BTreeMap<String, &crate::policy::ir::CompiledRule> =
        analysis.policies.values().flatten().flat_map(|p| p.rules.iter()).map(|r| (r.name.clone(), r)).collect();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for r in checked_rows.iter().flat_map(|c| &c.rows) {
        *per_rule.entry(&r.rule).or_default() += 1;
    }
    let mut per_rule: Vec<(&str, usize)> = per_rule.into_iter().collect();
    per_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let statistics: String = per_rule.iter().map(|(rule, n)| format!("{n:>6}  {rule}\n")).collect();
    use crate::report::Format;
    let mut text = match plan.format {
        Format::Human => human,
        Format::Json => crate::report::json(&checked_rows, &rules),
        Format::Sarif => crate::report::sarif(&checked_rows, &rules),
        Format::Github => crate::report::github(&checked_rows),
        Format::Junit => crate::report::junit(&checked_rows),
        Format::Short => crate::report::short(&checked_rows),
        Format::Markdown => crate::report::markdown(&summaries, &checked_rows, &rules),
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
    if checked > 0 && !machine {
        text += &human::summary(counts, checked);
        if hidden > 0 {
            text += &format!(" ({hidden} known from the baseline not shown)");
        }
        if hidden_by_quiet > 0 {
            text += &format!(" ({hidden_by_quiet} below error not shown: --quiet)");
        }
        text += "\n";
        if counts.iter().sum::<usize>() > hidden_by_quiet && plan.format == Format::Human {
            text += "run `backlint explain RULE` to see why a rule matters and how to fix it\n";
        }
    }
    match output_file {
        Some(path) => {
            if let Err(e) = crate::files::output::write_file(path, text.as_bytes()) {
                ui.problem(&Problem::error("I0053", format!("cannot write `{}`: {}", path.display(), io_reason(&e))));
                return EXIT_ERROR;
            }
        }
        None => {
            let _ = write!(ui.out, "{text}");
        }
    }
    if let Some(known) = known {
        let gone: Vec<_> = known.into_iter().filter(|(_, n)| *n > 0).collect();
        if !gone.is_empty() {
            let n = gone.iter().map(|(_, n)| *n).fold(0, usize::saturating_add);
            let plural = if n == 1 { " no longer occurs" } else { "s no longer occur" };
            ui.note(&format!("{n} baseline finding{plural}; shrink the baseline with --write-baseline:"));
            for ((file, rule, item), count) in gone {
                let item = if item.is_empty() { String::new() } else { format!(" on `{item}`") };
                let times = if count > 1 { format!(" ({count}×)") } else { String::new() };
                ui.note(&format!("  {file}: `{rule}`{item}{times}"));
            }
        }
    }
    if failed {
        EXIT_ERROR
    } else if plan.exit_zero {
        EXIT_CLEAN
    } else {
        exit
    }
}

/// Adds the reorders git knows of (up to revision `until`, else HEAD) to the backlog. Without git,
/// or outside a repository, the history rules see the `ordering_log` alone; a note says why when
/// the user would expect more. False when what was asked cannot be done (an error was reported).
pub fn read_history(
    ui: &mut Ui,
    found: &discover::Found,
    backlog: &mut Backlog,
    plan: &HistoryArgs,
    until: Option<&str>,
) -> bool {
    use crate::history::{self, Target};
    let tasks;
    let target = match found {
        discover::Found::Yaml(path) => Target::File(path),
        discover::Found::Folder(root) => {
            tasks = root.join("tasks");
            Target::Folder(&tasks)
        }
        discover::Found::Csv(_) => return true,
    };
    let read = if plan.staged && until.is_none() {
        history::staged(target, plan.commit_msg.as_deref())
    } else {
        history::scan_until(target, plan.since.as_deref(), until)
    };
    match read {
        Ok(h) => {
            for note in &h.notes {
                ui.note(&format!("note: {note}"));
            }
            history::merge_into(backlog, &h);
        }
        Err(history::Unavailable::NotTracked) => {}
        Err(history::Unavailable::Note(note)) => ui.note(&format!("note: {note}")),
        Err(history::Unavailable::Invalid(message)) => {
            ui.problems(&[Problem::error("I0080", message)]);
            return false;
        }
    }
    true
}

/// The staged version of a YAML backlog (what the commit will hold); other sources as on disk.
fn load_staged(found: &discover::Found) -> (Option<Backlog>, Vec<Problem>) {
    let discover::Found::Yaml(path) = found else { return load(found) };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // `cat-file blob` gives the bytes as staged: no filter, textconv or pager can run.
    let staged = crate::history::git_staged(dir)
        .args(["cat-file", "blob", &format!(":./{name}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = staged else { return load(found) };
    // Read no more than the size cap allows, as for a file on disk.
    let cap = crate::files::input::max_file_bytes();
    let mut bytes = Vec::new();
    let read =
        child.stdout.take().map(|out| std::io::Read::read_to_end(&mut std::io::Read::take(out, cap + 1), &mut bytes));
    if bytes.len() as u64 > cap {
        let _ = child.kill();
        let _ = child.wait();
        let refusal = crate::files::input::Refusal::TooLarge(bytes.len() as u64);
        let problem =
            Problem::error("I0030", format!("cannot read the staged `{}`: {}", path.display(), refusal.reason()))
                .help(refusal.help());
        return (None, vec![problem]);
    }
    let staged = child.wait().is_ok_and(|status| status.success()) && matches!(read, Some(Ok(_)));
    if !staged {
        // Not staged (or not in git): the file on disk is what will be committed.
        return load(found);
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let file = SourceFile::new(path, text);
            match yaml::parse(&file, yaml::Limits::default()) {
                Ok(root) => match Backlog::from_yaml(file, root) {
                    Ok(b) => (Some(b), Vec::new()),
                    Err(p) => (None, p),
                },
                Err(p) => (None, p),
            }
        }
        Err(_) => load(found),
    }
}

/// One backlog read, with its history, and checked.
pub struct Analysed {
    pub found: discover::Found,
    /// Key of the policy in [`Analysis::policies`].
    pub policy_key: Option<PathBuf>,
    pub backlog: Backlog,
    pub findings: Vec<engine::Finding>,
}

pub struct Analysis {
    pub policies: BTreeMap<Option<PathBuf>, Option<CompiledPolicy>>,
    pub backlogs: Vec<Analysed>,
    /// An input or policy problem was reported (exit 2).
    pub failed: bool,
}

/// Finds, reads and checks every backlog under `paths`, each with its own policy; problems are
/// reported as they come and the rest goes on.
pub fn analyse(ui: &mut Ui, paths: &[PathBuf], explicit_policy: Option<&Path>, history: &HistoryArgs) -> Analysis {
    let (files, problems) = discover::backlogs(paths);
    let mut failed = !problems.is_empty();
    ui.problems(&problems);
    let mut policies: BTreeMap<Option<PathBuf>, Option<CompiledPolicy>> = BTreeMap::new();
    let mut backlogs = Vec::new();
    for found in &files {
        let path = found.path();
        let policy_key = match explicit_policy {
            Some(p) => Some(p.to_path_buf()),
            None => discovered_policy(ui, path),
        };
        let policy = policies.entry(policy_key.clone()).or_insert_with(|| load_policy(ui, policy_key.as_deref()));
        let Some(policy) = policy else {
            failed = true;
            continue;
        };
        let (backlog, problems) = if history.staged { load_staged(found) } else { load(found) };
        ui.problems(&problems);
        failed |= !problems.is_empty();
        let Some(mut backlog) = backlog else { continue };
        apply_policy_goal(&mut backlog, &policy.settings);
        if !history.no_history {
            failed |= !read_history(ui, found, &mut backlog, history, None);
        }
        let findings = engine::run(policy, &backlog);
        backlogs.push(Analysed { found: found.clone(), policy_key, backlog, findings });
    }
    Analysis { policies, backlogs, failed }
}

/// Reads a backlog of any source. Problems in part of a folder do not stop the rest from loading.
pub fn load(found: &discover::Found) -> (Option<Backlog>, Vec<Problem>) {
    match found {
        discover::Found::Yaml(path) => match load_backlog(path) {
            Ok(b) => (Some(b), Vec::new()),
            Err(p) => (None, p),
        },
        discover::Found::Csv(path) => match read_source(path) {
            Ok(file) => match crate::source::jira_csv::load(file) {
                Ok(b) => (Some(b), Vec::new()),
                Err(p) => (None, p),
            },
            Err(p) => (None, vec![p]),
        },
        discover::Found::Folder(root) => {
            let repo = crate::files::input::root_of(root);
            let loaded = crate::source::backlog_md::load(root, &repo, |p| crate::files::input::read_source(p, &repo));
            (loaded.backlog, loaded.problems)
        }
    }
}

/// The policy's Product Goal for sources without one: `goal_milestone` names the milestone (or Jira
/// epic) that carries it, which becomes the active goal; a backlog without goals takes a goal made
/// from `product_goal`.
pub fn apply_policy_goal(backlog: &mut Backlog, settings: &crate::policy::ir::Settings) {
    if let Some(milestone) = &settings.goal_milestone {
        let file = &backlog.files[0];
        if let Some(goal) = backlog.goals.iter_mut().find(|g| g.text("id", file).as_deref() == Some(milestone.as_str()))
        {
            if let crate::yaml::Value::Map(entries) = &mut goal.node.value {
                for e in entries.iter_mut().filter(|e| e.key == "status") {
                    e.value.value = crate::yaml::Value::Str("active".into());
                }
            }
            return;
        }
    }
    let Some(statement) = &settings.product_goal else { return };
    if !backlog.goals.is_empty() {
        return;
    }
    let at = backlog.top.anchor;
    let field = |key: &str, value: &str| crate::yaml::Entry {
        key: key.into(),
        key_span: at,
        value: crate::yaml::Node { span: at, value: crate::yaml::Value::Str(value.into()) },
    };
    let mut entries = vec![
        field("id", settings.goal_milestone.as_deref().unwrap_or("product-goal")),
        field("statement", statement),
        field("status", "active"),
    ];
    if let Some(m) = &settings.goal_measure {
        entries.push(field("measure", m));
    }
    if let Some(t) = &settings.goal_target {
        entries.push(field("target", t));
    }
    let node = crate::yaml::Node { span: at, value: crate::yaml::Value::Map(entries) };
    let mut goal = crate::model::Record::new(0, node, 1);
    goal.anchor = at;
    goal.in_file = false;
    backlog.goals.push(goal);
}

/// Reads and validates one native YAML backlog.
pub fn load_backlog(path: &Path) -> Result<Backlog, Vec<Problem>> {
    let file = read_source(path).map_err(|p| vec![p])?;
    let root = yaml::parse(&file, yaml::Limits::default())?;
    Backlog::from_yaml(file, root)
}

/// Built-in tests run against the built-in rules alone (default settings); a policy's own tests run
/// against that policy, with its settings and configuration.
fn self_test(ui: &mut Ui, policies: &[PathBuf]) -> i32 {
    let explicit = !policies.is_empty();
    let mut runs: Vec<Option<PathBuf>> = policies.iter().cloned().map(Some).collect();
    if !explicit {
        runs.push(None);
        runs.extend(cwd_policy().map(Some));
    }
    let (mut passed, mut failed) = (0, 0);
    for run in runs {
        let Some(policy) = load_policy(ui, run.as_deref()) else { return EXIT_ERROR };
        let outcome = crate::selftest::run(&policy, |t| match &run {
            None => {
                policy.rule(t.rule.as_deref().unwrap_or("")).is_some_and(|r| r.builtin)
                    || t.file.path.starts_with("rules/")
            }
            Some(path) => t.file.path == *path,
        });
        for f in &outcome.failures {
            let _ = write!(ui.out, "{}", human::render(f, ui.out_style));
        }
        passed += outcome.passed;
        failed += outcome.failures.len();
    }
    ui.say(&format!("{passed} passed, {failed} failed"));
    if failed > 0 { EXIT_FINDINGS } else { EXIT_CLEAN }
}

/// `check --show-policy`: the policy that checking the first path would use.
fn show_policy(ui: &mut Ui, paths: &[PathBuf], explicit: Option<&Path>) -> i32 {
    let start = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let path = explicit.map(Path::to_path_buf).or_else(|| discovered_policy(ui, &start));
    let Some((policy, files)) = load_policy_files(ui, path.as_deref()) else { return EXIT_ERROR };
    ui.say("policy files, applied in this order:");
    ui.say("  built-in rules (rules/*/*.policy, embedded)");
    for name in &files {
        ui.say(&format!("  {name}"));
    }
    let s = &policy.settings;
    let text = |v: &Option<String>| v.as_ref().map_or("none".to_string(), |t| format!("{t:?}"));
    let stories = match s.stories {
        None => "auto".to_string(),
        Some(on) => if on { "on" } else { "off" }.to_string(),
    };
    let values = [
        ("product_owner", text(&s.product_owner)),
        ("near", s.near.to_string()),
        ("distant", s.distant.to_string()),
        ("fail_on", s.fail_on.to_string()),
        ("done_statuses", format!("{:?}", s.done_statuses)),
        ("stories", stories),
        ("product_goal", text(&s.product_goal)),
        ("goal_milestone", text(&s.goal_milestone)),
    ];
    ui.say("settings:");
    for (name, value) in values {
        let from = policy
            .origins
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map_or("default".to_string(), |(_, _, at)| at.clone());
        ui.say(&format!("  {:<44} ({from})", format!("{name} = {value}")));
    }
    let changes: Vec<_> =
        policy.origins.iter().filter(|(n, _, _)| !crate::policy::check::SETTINGS.contains(&n.as_str())).collect();
    if !changes.is_empty() {
        ui.say("rules changed or added by the policy:");
        for (what, value, at) in changes {
            ui.say(&format!("  {:<44} ({at})", format!("{what} = {value}")));
        }
    }
    EXIT_CLEAN
}

fn policy_for_listing(ui: &mut Ui, explicit: Option<&Path>) -> Option<CompiledPolicy> {
    let path = explicit.map(Path::to_path_buf).or_else(|| discovered_policy(ui, Path::new(".")));
    load_policy(ui, path.as_deref())
}

fn rules(ui: &mut Ui, explicit_policy: Option<&Path>, group: Option<&str>) -> i32 {
    let Some(policy) = policy_for_listing(ui, explicit_policy) else { return EXIT_ERROR };
    let mut rows: Vec<[String; 4]> = policy
        .rules
        .iter()
        .filter(|r| group.is_none_or(|g| r.group == g))
        .map(|r| {
            let severity = if r.enabled { r.severity.to_string() } else { "off".into() };
            [r.name.clone(), r.group.clone(), severity, r.summary.clone()]
        })
        .collect();
    if rows.is_empty() {
        let groups: Vec<&str> = policy.rules.iter().map(|r| r.group.as_str()).collect();
        let g = group.unwrap_or_default();
        let hint =
            did_you_mean(g, groups.iter().copied()).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
        ui.problem(&Problem::error("I0040", format!("no rule in group `{g}`{hint}")));
        return EXIT_ERROR;
    }
    rows.sort_by(|a, b| (&a[1], &a[0]).cmp(&(&b[1], &b[0])));
    let header = ["RULE".to_string(), "GROUP".into(), "SEVERITY".into(), "SUMMARY".into()];
    let widths: Vec<usize> =
        (0..3).map(|i| rows.iter().chain([&header]).map(|r| r[i].len()).max().unwrap_or(0)).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        ui.say(line.trim_end());
    }
    EXIT_CLEAN
}

fn explain(ui: &mut Ui, name: &str, explicit_policy: Option<&Path>) -> i32 {
    let Some(policy) = policy_for_listing(ui, explicit_policy) else { return EXIT_ERROR };
    let Some(rule) = policy.rule(name) else {
        let suggestion = did_you_mean(name, policy.rules.iter().map(|r| r.name.as_str()));
        let mut p = Problem::error("I0041", format!("unknown rule `{name}`"));
        p.help = Some(match suggestion {
            Some(s) => format!("did you mean `{s}`? `backlint rules` lists every rule"),
            None => "`backlint rules` lists every rule".into(),
        });
        ui.problem(&p);
        return EXIT_ERROR;
    };
    ui.say(&explanation_text(rule));
    EXIT_CLEAN
}

/// The text `backlint explain` prints.
pub fn explanation_text(rule: &crate::policy::ir::CompiledRule) -> String {
    let mut s = format!("{} ({} · {} by default)\n\n{}\n", rule.name, rule.group, rule.severity, rule.summary);
    if let Some(e) = &rule.explanation {
        for (title, body) in [
            ("What it checks", &e.what),
            ("Why it matters", &e.why),
            ("How to fix it", &e.fix),
            ("Example", &e.example),
        ] {
            if !body.is_empty() {
                s += &format!("\n{title}\n{}\n", indent(body));
            }
        }
    }
    if !rule.options.is_empty() {
        s += "\nOptions (change them with `configure`)\n";
        for (name, value) in &rule.options {
            s += &format!("    {name} = {}\n", value.describe());
        }
    }
    s.trim_end().to_string()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }).collect::<Vec<_>>().join("\n")
}
