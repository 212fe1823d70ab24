//! Command-line interface: arguments are lowered to one resolved plan per command, then run.

use crate::diag::{Level, Problem, did_you_mean};
use crate::discover;
use crate::engine;
use crate::model::Backlog;
use crate::policy::{self, ir::CompiledPolicy};
use crate::render::{self, Style};
use crate::source::SourceFile;
use crate::yaml;
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// A linter for Scrum Product Backlogs: checks a backlog against Product Owner practice and your
/// team's own policies, and explains why each finding matters.
#[derive(Parser, Debug)]
#[command(name = "backlint", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check backlogs (files, or folders searched for backlog.yaml, backlog.yml, *.backlog.yaml)
    Check {
        /// Backlog files or folders [default: .]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Lowest severity that makes the run fail (exit 1) [default: the policy's `fail_on`, else warning]
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
    /// List the rules: name, group, severity and summary
    Rules {
        #[command(flatten)]
        policy: PolicyArgs,
        /// Only the rules of this group (goal, ordering, refinement, role, …)
        #[arg(long)]
        group: Option<String>,
    },
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
    let out_style = Style::detect(std::io::stdout().is_terminal());
    let err_style = Style::detect(std::io::stderr().is_terminal());
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut ui = Ui { out: &mut out, err: &mut err, out_style, err_style };
    match args.command {
        Command::Check { paths, policy, fail_on } => {
            check(&mut ui, &paths, policy.policy.as_deref(), fail_on.map(Level::from))
        }
        Command::Rules { policy, group } => rules(&mut ui, policy.policy.as_deref(), group.as_deref()),
        Command::Explain { rule, policy } => explain(&mut ui, &rule, policy.policy.as_deref()),
    }
}

/// Where output goes; findings go to stdout, problems that stop the run to stderr.
pub struct Ui<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub out_style: Style,
    pub err_style: Style,
}

impl Ui<'_> {
    fn problem(&mut self, p: &Problem) {
        let _ = write!(self.err, "{}", render::render(p, self.err_style));
    }
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }
}

fn read_source(path: &Path) -> Result<SourceFile, Problem> {
    let bytes = std::fs::read(path).map_err(|e| {
        Problem::error("I0030", format!("cannot read `{}`: {}", path.display(), io_reason(&e)))
            .help("check that the file exists and is readable")
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let (line, col) = SourceFile::new(path, String::from_utf8_lossy(&bytes[..at]).into_owned()).line_col(at);
            Err(Problem::error(
                "I0031",
                format!("`{}` is not UTF-8 text (invalid byte at line {line}, column {col})", path.display()),
            )
            .help("save the file as UTF-8"))
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Compiles the built-in rules plus one user policy file (if any). Problems are printed.
fn load_policy(ui: &mut Ui, policy_file: Option<&Path>) -> Option<CompiledPolicy> {
    let mut user = Vec::new();
    if let Some(path) = policy_file {
        match read_source(path) {
            Ok(f) => user.push(f),
            Err(p) => {
                ui.problem(&p);
                return None;
            }
        }
    }
    let (policy, problems) = policy::compile(&user);
    for p in &problems {
        ui.problem(p);
    }
    problems.is_empty().then_some(policy)
}

fn cwd_policy() -> Option<PathBuf> {
    std::env::current_dir().ok().and_then(|d| discover::policy_for(&d))
}

fn check(ui: &mut Ui, paths: &[PathBuf], explicit_policy: Option<&Path>, fail_on: Option<Level>) -> i32 {
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let (files, mut problems) = discover::backlogs(&paths);
    let mut policies: BTreeMap<Option<PathBuf>, Option<CompiledPolicy>> = BTreeMap::new();
    let mut findings_counts = [0usize; 3];
    let mut failed = false;
    let mut checked = 0;
    for p in problems.drain(..) {
        ui.problem(&p);
        failed = true;
    }
    let mut exit = EXIT_CLEAN;
    for path in &files {
        let policy_path = match explicit_policy {
            Some(p) => Some(p.to_path_buf()),
            None => discover::policy_for(path).or_else(cwd_policy),
        };
        let policy = policies.entry(policy_path.clone()).or_insert_with(|| load_policy(ui, policy_path.as_deref()));
        let Some(policy) = policy else {
            failed = true;
            continue;
        };
        let backlog = match load_backlog(path) {
            Ok(b) => b,
            Err(problems) => {
                for p in &problems {
                    ui.problem(p);
                }
                failed = true;
                continue;
            }
        };
        checked += 1;
        let findings = engine::run(policy, &backlog);
        let threshold = fail_on.unwrap_or(policy.settings.fail_on);
        if findings.iter().any(|f| f.level >= threshold) {
            exit = EXIT_FINDINGS;
        }
        for f in &findings {
            let _ = write!(ui.out, "{}", render::render(&f.to_problem(&backlog), ui.out_style));
        }
        let counts = render::count(findings.iter().map(|f| f.level));
        for (total, n) in findings_counts.iter_mut().zip(counts) {
            *total += n;
        }
    }
    if checked > 0 {
        ui.say(&render::summary(findings_counts, checked));
        if findings_counts.iter().any(|&n| n > 0) {
            ui.say("run `backlint explain RULE` to see why a rule matters and how to fix it");
        }
    }
    if failed { EXIT_ERROR } else { exit }
}

/// Reads and validates one native YAML backlog.
pub fn load_backlog(path: &Path) -> Result<Backlog, Vec<Problem>> {
    let file = read_source(path).map_err(|p| vec![p])?;
    let root = yaml::parse(&file, yaml::Limits::default())?;
    Backlog::from_yaml(file, root)
}

fn policy_for_listing(ui: &mut Ui, explicit: Option<&Path>) -> Option<CompiledPolicy> {
    let path = explicit.map(Path::to_path_buf).or_else(cwd_policy);
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
