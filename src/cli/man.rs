//! `backlint man [COMMAND]`: the man pages, backlint(1) and one per command (backlint-check(1), …),
//! each with its options (from the clap definitions, so they cannot drift) and its exit status.

use super::Args;
use super::ui::{EXIT_CLEAN, EXIT_ERROR, Ui};
use crate::diag::Problem;
use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

/// The commands that have a page; `tests/it/cli.rs` checks that it names every command.
pub const COMMANDS: &[&str] =
    &["check", "report", "rules", "explain", "test", "init", "server", "completions", "man", "schema"];

pub fn run(ui: &mut Ui, command: Option<&str>) -> i32 {
    match page(command) {
        Ok(page) => {
            // A failed write to standard output is reported by `main`, as for every command.
            let _ = ui.out.write_all(page.as_bytes());
            EXIT_CLEAN
        }
        Err(e) => {
            ui.problem(&Problem::error("I0054", format!("cannot render the man page: {e}")));
            EXIT_ERROR
        }
    }
}

/// The page of `command` (`None`: backlint itself), in roff.
pub fn page(command: Option<&str>) -> Result<String, String> {
    // No `help` command: it would be listed in SEE ALSO without a page of its own.
    let mut root = Args::command().disable_help_subcommand(true);
    root.build();
    let cmd = match command {
        Some(name) => root.find_subcommand(name).cloned().ok_or_else(|| format!("no command `{name}`"))?,
        None => root.clone(),
    };
    let mut text = Vec::new();
    let source = format!("backlint {}", env!("CARGO_PKG_VERSION"));
    clap_mangen::Man::new(cmd).source(source).render(&mut text).map_err(|e| e.to_string())?;
    let text = String::from_utf8(text).map_err(|e| e.to_string())?;
    let mut extra = Roff::new();
    extra.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_status(command) {
        extra.control("TP", []).text([bold(code.to_string())]).text([roman(meaning)]);
    }
    extra.control("SH", ["SEE ALSO"]);
    let others: Vec<String> = match command {
        Some(_) => vec!["backlint(1)".into()],
        None => COMMANDS.iter().map(|c| format!("backlint-{c}(1)")).collect(),
    };
    extra.text([roman(format!("{}; backlint explain RULE coaches on each rule.", others.join(", ")))]);
    // Before VERSION, where a reader of a man page looks for them.
    let at = text.find("\n.SH VERSION").map_or(text.len(), |i| i + 1);
    Ok(format!("{}{}{}", &text[..at], extra.to_roff(), &text[at..]))
}

/// What each exit code means for `command` (`None`: any command).
fn exit_status(command: Option<&str>) -> Vec<(u8, &'static str)> {
    let error = "a usage, configuration or input error: an unknown option, a policy error, a backlog that cannot be \
                 read, an output that cannot be written (details on standard error)";
    match command {
        None => vec![
            (0, "success: no finding at or above the failing severity (check), or the command did what it was asked"),
            (1, "check: findings at or above the failing severity (--fail-on); test: a policy example failed"),
            (2, error),
        ],
        Some("check") => vec![
            (
                0,
                "no finding at or above the failing severity (--fail-on, else the policy's fail_on, else warning), or --exit-zero, or --write-baseline",
            ),
            (1, "findings at or above the failing severity"),
            (2, error),
        ],
        Some("test") => vec![(0, "every policy example passed"), (1, "a policy example failed"), (2, error)],
        Some("report") => {
            vec![
                (0, "the report was written; findings do not fail it"),
                (2, "no report was written, or --compare failed: the error is on standard error"),
            ]
        }
        Some("init") => {
            vec![
                (0, "the starter files, or the declarations an existing backlog needs, were written"),
                (2, "a file exists (without --force), cannot be written, or the backlog found cannot be read"),
            ]
        }
        Some("server") => vec![
            (0, "the client asked the server to shut down and then to exit"),
            (1, "the client sent exit without asking for shutdown first"),
            (2, "standard input or output failed (the client went away)"),
        ],
        Some("explain") => vec![
            (0, "the rule was explained"),
            (2, "no such rule in the built-in rules or the policies found, or a policy error"),
        ],
        Some(_) => vec![(0, "success"), (2, error)],
    }
}
