//! Command-line interface: clap arguments, and one file per command. Commands call the analysis
//! pipeline (`crate::analysis`) and the reporters; they own only what the terminal sees.

pub mod args;
pub mod check;
pub mod init;
pub mod man;
pub mod report;
pub mod rules;
pub mod show_policy;
pub mod test;
pub mod ui;

use crate::diag::Problem;
use crate::report::human::{self, Style};
use args::{ColorChoice, PolicyArgs};
use check::CheckPlan;
use clap::{Parser, Subcommand};
use report::ReportPlan;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use ui::{EXIT_CLEAN, EXIT_ERROR, Ui, io_reason};

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
    /// When to colour human output
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check backlogs: native YAML files (backlog.yaml, backlog.yml, *.backlog.yaml, *.backlog.yml),
    /// Backlog.md folders, Jira CSV exports and beads trackers, or folders searched for them
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
    /// Serve the Language Server Protocol on standard input and output: findings as you type,
    /// rule explanations on hover, fixes as code actions (see the README for editor set-up)
    Server,
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print a man page (roff): backlint(1), or the page of one command, such as backlint-check(1)
    Man {
        /// The command whose page to print [default: the page of backlint itself]
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(man::COMMANDS))]
        command: Option<String>,
    },
    /// Print the JSON Schema of the native backlog.yaml, for editors (also in schema/backlog.schema.json)
    Schema,
    /// Explain a rule: what it checks, why it matters, how to fix it, with an example
    Explain {
        /// The rule's name, e.g. missing-acceptance-criteria
        rule: String,
        /// Backlogs whose policies may define the rule, as `check` finds them [default: .]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_CLEAN };
        }
    };
    crate::files::input::set_max_file_mb(args.max_file_size);
    // The server owns standard input and output: nothing here may lock them first.
    if let Command::Server = args.command {
        return crate::server::run();
    }
    let out_style = Style::new(ui::use_color(args.color, std::io::stdout().is_terminal()));
    let err_style = Style::new(ui::use_color(args.color, std::io::stderr().is_terminal()));
    let mut out = crate::files::output::Checked::new(std::io::stdout().lock());
    let mut err = std::io::stderr().lock();
    let mut ui = Ui { out: &mut out, err: &mut err, out_style, err_style, color: args.color };
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
        Command::Check(plan) if plan.show_policy => show_policy::run(ui, &plan.paths, plan.policy.policy.as_deref()),
        Command::Check(plan) => check::run(ui, &plan),
        Command::Report(plan) => report::run(ui, &plan),
        Command::Rules { policy, group } => rules::list(ui, policy.policy.as_deref(), group.as_deref()),
        Command::Explain { rule, paths, policy } => rules::explain(ui, &rule, policy.policy.as_deref(), &paths),
        Command::Test { policies } => test::run(ui, &policies),
        Command::Init { force } => init::run(ui, force),
        Command::Server => crate::server::run(),
        Command::Completions { shell } => {
            // Rendered into memory first: clap_complete panics when its writer fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Args as clap::CommandFactory>::command(), "backlint", &mut script);
            let _ = ui.out.write_all(&script);
            EXIT_CLEAN
        }
        Command::Man { command } => man::run(ui, command.as_deref()),
        Command::Schema => {
            let _ = ui.out.write_all(crate::model::schema::backlog_schema_text().as_bytes());
            EXIT_CLEAN
        }
    }
}
