//! `backlint report` and `--format markdown`: the figures, the charts, escaping of backlog text, the
//! comparison with an earlier revision, and the page in a real headless browser.

use super::*;
use std::process::Command;

fn backlint(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
}

const HOSTILE_TITLE: &str = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

/// A backlog whose titles and goal carry markup: it must show as text.
fn hostile_backlog() -> String {
    format!(
        "product: P\nproduct_owner: Dana Lee\nproduct_goals: [{{id: \"<b>G1</b>\", statement: Grow, status: active}}]\nitems:\n  \
         - {{id: \"<i>A</i>\", title: \"{}\", goal: \"<b>G1</b>\"}}\n  - {{id: B, title: \"x\", goal: \"</svg><script>alert(1)</script>\"}}\n",
        HOSTILE_TITLE.replace('"', "\\\"")
    )
}

#[test]
fn markdown_summary_has_figures_rules_and_items_within_the_limit() {
    let (code, out, err) = backlint(&["check", "examples/unhealthy", "--format", "markdown"], &root());
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("## Backlog health (backlint)\n"), "{out}");
    assert!(out.contains("| examples/unhealthy/backlog.yaml | 50% (5/10) | 58% (22/38) |"), "{out}");
    assert!(out.contains("| `goal-link-missing` | error | 9 | every open item links to a Product Goal |"), "{out}");
    assert!(out.contains("### Top items to fix") && out.contains("| FC-201 |"), "{out}");
    assert!(!out.contains("errors, ") || out.contains("**"), "no human summary line is appended");

    // A 10,000-item backlog with a finding on most items still fits a pull-request comment.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.backlog.yaml");
    std::fs::write(&big, backlint::generate::yaml(10_000)).unwrap();
    let (_, out, _) = backlint(&["check", big.to_str().unwrap(), "--format", "markdown"], dir.path());
    assert!(out.len() < backlint::report::MARKDOWN_LIMIT, "{} bytes", out.len());
    assert!(out.contains("more items with findings"), "{out}");
}

#[test]
fn markdown_escapes_backlog_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), hostile_backlog()).unwrap();
    let (_, out, _) = backlint(&["check", "--format", "markdown"], dir.path());
    assert!(out.contains("\\<i\\>A\\</i\\>"), "{out}");
    assert!(!out.contains("<i>"), "{out}");
}

#[test]
fn html_report_is_self_contained_with_charts_and_explanations() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.html");
    let (code, _, err) = backlint(&["report", "examples", "--output", target.to_str().unwrap()], &root());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote "), "{err}");
    let html = std::fs::read_to_string(&target).unwrap();
    assert_eq!(html.matches("<section id=\"backlog-").count(), 4);
    for chart in ["funnel", "goals", "per-week", "per-person"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"><svg role=\"img\"")), "chart {chart}");
    }
    for figure in ["readiness", "clarity", "stability"] {
        assert!(html.contains(&format!("data-figure=\"{figure}\"")), "figure {figure}");
    }
    assert!(html.contains("Content-Security-Policy") && !html.contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"), "no network");
    // Findings link to their item's row, and carry the rule's explanation.
    assert!(html.contains("<a href=\"#b4-item-1\">FC-201</a>"), "a finding links to its item");
    assert!(html.contains("<tr id=\"b4-item-1\">"));
    assert!(html.contains("<strong>Why it matters:</strong> A backlog without a goal is a wish list."));
}

#[test]
fn html_report_shows_markup_from_the_backlog_as_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), hostile_backlog()).unwrap();
    let html = backlint::cli::report::render_file(&dir.path().join("backlog.yaml"));
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<i>A") && !html.contains("<b>G1"));
    assert!(html.contains("&lt;script&gt;document.title="), "the title shows as text");
    assert!(html.contains("&lt;b&gt;G1&lt;&#x2f;b&gt;") || html.contains("&lt;b&gt;G1&lt;/b&gt;"), "goal in the chart");
}

#[test]
fn compare_shows_the_figures_at_an_earlier_revision() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=Dana Lee", "-c", "user.email=dana@example.com"])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let backlog = |criteria: &str| {
        format!(
            "product: P\nproduct_owner: Dana Lee\nproduct_goals: [{{id: G1, statement: Grow, status: active}}]\nitems:\n  \
             - {{id: A, title: Buy a single ticket, goal: G1, estimate: 3{criteria}}}\n  \
             - {{id: B, title: Show the ticket code, goal: G1, estimate: 3}}\n"
        )
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join("backlog.yaml"), backlog("")).unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "start"]);
    std::fs::write(dir.path().join("backlog.yaml"), backlog(", acceptance_criteria: [It works]")).unwrap();
    git(&["commit", "-qam", "criteria for A"]);
    let (code, out, err) = backlint(&["report", "--format", "markdown", "--compare", "HEAD~1"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| backlog.yaml | 50% (1/2) (▲ 50 from 0%) |"), "{out}");
    assert!(out.contains("Changes are against `HEAD~1`."), "{out}");
    let page = dir.path().join("r.html");
    let (code, _, err) = backlint(&["report", "--compare", "HEAD~1", "-o", page.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<div class=\"then\">at HEAD~1: 0%</div>"), "the HTML shows the old figure too");
    let (code, _, err) = backlint(&["report", "--format", "markdown", "--compare", "no-such-rev"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `backlog.yaml` at `no-such-rev`: the repository has no revision"), "{err}");
    let (code, _, err) = backlint(&["report", "--format", "markdown", "--compare=--output=/tmp/x"], dir.path());
    assert_eq!(code, 2, "a revision that looks like an option is refused: {err}");
    assert!(!Path::new("/tmp/x").exists());
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// The page in a real browser: loads without console errors, draws its charts, runs no injected code.
/// `.ci/run` installs Debian's chromium and sets BACKLINT_BROWSER=require, so CI cannot skip this.
#[test]
fn the_report_renders_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        assert!(std::env::var("BACKLINT_BROWSER").as_deref() != Ok("require"), "chromium is required but missing");
        eprintln!("skipped: no chromium (apt-get install chromium); .ci/run installs it");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backlog.yaml"), hostile_backlog()).unwrap();
    let hostile = dir.path().join("hostile.html");
    std::fs::write(&hostile, backlint::cli::report::render_file(&dir.path().join("backlog.yaml"))).unwrap();
    let examples = dir.path().join("examples.html");
    let (code, _, err) = backlint(&["report", "examples", "-o", examples.to_str().unwrap()], &root());
    assert_eq!(code, 0, "{err}");
    for (page, charts) in [(&examples, 3 * 2 + 2 * 2), (&hostile, 2)] {
        let out = Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr"])
            .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&out.stdout);
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{log}");
        assert!(dom.contains("<h1>Backlog health</h1>"), "the page loaded: {dom:.500}");
        let svgs = dom.matches("<svg role=\"img\"").count();
        assert!(svgs >= charts, "{svgs} charts in {}", page.display());
        for bad in ["Uncaught", "Refused to", "ERR_FILE_NOT_FOUND", "Failed to load"] {
            assert!(!log.contains(bad), "console: {log}");
        }
        // Injected markup would have changed the title or added elements; it stays text.
        assert!(dom.contains("<title>Backlog health:"), "{dom:.300}");
        assert!(!dom.contains("pwned</title>") && !dom.contains("<img") && !dom.contains("<script"), "{dom}");
    }
}
