#!/usr/bin/env python3
"""Deterministic Backlog.md history generator.

Every task-file change is made by the real Backlog.md CLI (backlog.md 1.52.0,
platform binary node_modules/backlog.md-linux-x64/backlog, which is what
node_modules/.bin/backlog execs).  The CLI runs under libfaketime so the
created_date/updated_date it writes follow the same fixed fake clock as the
git author/committer dates.  auto_commit is false; this script commits after
every CLI operation (exactly one commit per operation).

Set up: in WORKDIR (env BACKLOG_CLI_WORKDIR, default /tmp/bmd), `npm install backlog.md@1.52.0`;
`apt-get install faketime`.  The repository is written to WORKDIR/repo (which must not exist).
Bundle it for `cargo bench --bench history`:
  git -C WORKDIR/repo bundle create WORKDIR/history.bundle --all
  BACKLOG_CLI_HISTORY=WORKDIR/history.bundle cargo bench --bench history

Usage: backlog-cli-history.py MAX_OPS WALL_SECONDS
Stops after MAX_OPS operations or when WALL_SECONDS of wall time elapsed
(whichever first).  The sequence is fully determined by SEED, so a shorter
run is a prefix of a longer one.
"""
import datetime as dt
import glob
import os
import random
import re
import subprocess
import sys
import time

SEED = 20240101
ROOT = os.environ.get("BACKLOG_CLI_WORKDIR", "/tmp/bmd")
REPO = os.path.join(ROOT, "repo")
BIN = os.path.join(ROOT, "node_modules/backlog.md-linux-x64/backlog")
LOG = os.path.join(ROOT, "progress.log")

AUTHORS = [("Dana Lee", "dana@example.com"),
           ("Sam Ortiz", "sam@example.com"),
           ("Priya Shah", "priya@example.com")]

VERBS = ["Add", "Fix", "Refactor", "Document", "Remove", "Improve", "Migrate",
         "Investigate", "Support", "Optimize", "Validate", "Cache", "Expose",
         "Harden", "Split", "Rename", "Test", "Deprecate", "Batch", "Trace"]
OBJECTS = ["login flow", "session expiry", "CSV export", "search index",
           "billing webhook", "user avatars", "rate limiter", "audit log",
           "dark mode", "email digest", "API pagination", "retry policy",
           "feature flags", "onboarding wizard", "config loader", "metrics panel",
           "file uploads", "password reset", "team invites", "webhook signing",
           "sync worker", "notification center", "report builder", "SSO bridge",
           "cache eviction", "schema migration", "mobile layout", "error pages",
           "i18n strings", "keyboard shortcuts", "backup job", "access tokens"]
QUALIFIERS = ["", "", "", " for admins", " in the dashboard", " on mobile",
              " behind a flag", " for large teams", " in the CLI", " v2",
              " edge cases", " under load", " for self-hosted installs"]
DESC_SENT = ["Users reported intermittent failures in this area.",
             "This blocks the next release milestone.",
             "Keep the change backwards compatible with existing data.",
             "Coordinate with the platform team before merging.",
             "The current implementation is hard to test.",
             "Performance regressed after the last refactor.",
             "Customers on the enterprise plan asked for this.",
             "Follow the design notes from the planning session.",
             "Add telemetry so we can measure adoption.",
             "Scope is limited to the web client for now."]
AC_ITEMS = ["Behaviour is covered by automated tests",
            "Documentation is updated", "No regression in p95 latency",
            "Error messages are actionable", "Works with existing data",
            "Feature can be disabled via config", "Accessible via keyboard",
            "Logged events include request id", "Reviewed by a second engineer",
            "Migration is reversible"]
REASONS = ["customer escalation", "unblocks release train", "dependency finished early",
           "sprint planning outcome", "lower risk than expected", "blocked on design review",
           "security review priority", "aligns with Q3 roadmap", "quick win before freeze",
           "waiting on upstream fix", "product asked to pull forward", "tech debt budget"]
LABELS = ["backend", "frontend", "infra", "docs", "ux", "security", "perf"]


def log(msg):
    with open(LOG, "a") as f:
        f.write(time.strftime("%H:%M:%S ") + msg + "\n")


def run(args, env=None, check=True):
    p = subprocess.run(args, cwd=REPO, env=env, input=b"",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise RuntimeError("command failed rc=%d: %r\nstdout=%s\nstderr=%s" % (
            p.returncode, args, p.stdout.decode(errors="replace")[-2000:],
            p.stderr.decode(errors="replace")[-2000:]))
    return p


def cli(args, when):
    env = dict(os.environ)
    env["TZ"] = "UTC"
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    fake = when.strftime("%Y-%m-%d %H:%M:%S")
    return run(["faketime", fake, BIN] + args, env=env)


def commit(msg, author, when):
    env = dict(os.environ)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
    env["GIT_AUTHOR_DATE"] = stamp
    env["GIT_COMMITTER_DATE"] = stamp
    run(["git", "add", "-A", "backlog"], env=env)
    if run(["git", "diff", "--cached", "--quiet"], check=False).returncode == 0:
        raise RuntimeError("operation produced no change: " + msg.splitlines()[0])
    run(["git", "-c", "user.name=" + author[0], "-c", "user.email=" + author[1],
         "commit", "-q", "--no-verify", "-m", msg], env=env)


def read_ordinal(tid):
    files = glob.glob(os.path.join(REPO, "backlog/tasks", "task-%d - *.md" % tid))
    if len(files) != 1:
        raise RuntimeError("cannot find file for task %d: %r" % (tid, files))
    with open(files[0]) as f:
        m = re.search(r"^ordinal: (\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else None


def make_title(rng):
    return "%s %s%s" % (rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(QUALIFIERS))


def main():
    max_ops = int(sys.argv[1])
    wall = float(sys.argv[2])
    rng = random.Random(SEED)
    t0 = time.time()
    when = dt.datetime(2024, 1, 1, 9, 0, 0)
    os.makedirs(REPO)
    run(["git", "init", "-q", "-b", "main"])
    cli(["init", "Bench Project", "--defaults", "--integration-mode", "none",
         "--check-branches", "false", "--include-remote", "false",
         "--auto-open-browser", "false"], when)
    # make sure the CLI never commits by itself
    cfg = open(os.path.join(REPO, "backlog/config.yml")).read()
    assert "auto_commit: false" in cfg, cfg
    commit("Initialize Backlog.md project", AUTHORS[0], when)

    tasks = {}  # id -> dict(status, ordinal, title)
    next_id = 1
    counts = {"create": 0, "reorder": 0, "status": 0, "title": 0, "rationale": 0}
    op_times = []
    for i in range(1, max_ops + 1):
        if time.time() - t0 > wall:
            log("wall budget reached before op %d" % i)
            break
        when = when + dt.timedelta(minutes=rng.randint(3, 95), seconds=rng.randint(0, 59))
        author = rng.choice(AUTHORS)
        r = rng.random()
        open_ids = sorted(t for t, v in tasks.items() if v["status"] != "Done")
        if len(open_ids) < 3 or r < 0.30:
            kind = "create"
        elif r < 0.80:
            kind = "reorder"
        elif r < 0.95:
            kind = "status"
        else:
            kind = "title"

        s = time.time()
        if kind == "create":
            title = make_title(rng)
            desc = " ".join(rng.sample(DESC_SENT, rng.randint(1, 3)))
            args = ["task", "create", title, "-d", desc, "--priority",
                    rng.choice(["high", "medium", "low"]), "-s", "To Do",
                    "-l", ",".join(rng.sample(LABELS, rng.randint(1, 2))), "--plain"]
            for ac in rng.sample(AC_ITEMS, rng.randint(1, 3)):
                args += ["--ac", ac]
            p = cli(args, when)
            tid = next_id
            next_id += 1
            first = p.stdout.decode().splitlines()[0]
            if ("task-%d - " % tid) not in first:
                raise RuntimeError("unexpected id in output: " + first)
            tasks[tid] = {"status": "To Do", "title": title, "ordinal": read_ordinal(tid)}
            msg = "Create TASK-%d: %s" % (tid, title)
        elif kind == "reorder":
            tid = rng.choice(open_ids)
            others = sorted((tasks[t]["ordinal"] or 0) for t in open_ids if t != tid)
            pos = rng.randint(0, len(others))
            lo = others[pos - 1] if pos > 0 else 0
            hi = others[pos] if pos < len(others) else (others[-1] + 2000 if others else 2000)
            new = (lo + hi) // 2
            if hi - lo < 2 or new == tasks[tid]["ordinal"]:
                new = rng.randint(1, 10 * (max(others) if others else 1000) + 1000)
                while new == tasks[tid]["ordinal"]:
                    new += 1
            old = tasks[tid]["ordinal"]
            cli(["task", "edit", "TASK-%d" % tid, "--ordinal", str(new), "--plain"], when)
            tasks[tid]["ordinal"] = new
            msg = "Reorder TASK-%d (ordinal %s -> %d)" % (tid, old, new)
            if rng.random() < 0.35:
                msg += "\n\nMoved %s in the %s column.\n\nReorder-Rationale: %s" % (
                    "up" if old is not None and new < old else "down",
                    tasks[tid]["status"], rng.choice(REASONS))
                counts["rationale"] += 1
        elif kind == "status":
            tid = rng.choice(open_ids)
            new = "In Progress" if tasks[tid]["status"] == "To Do" else "Done"
            cli(["task", "edit", "TASK-%d" % tid, "-s", new, "--plain"], when)
            tasks[tid]["status"] = new
            msg = "Move TASK-%d to %s" % (tid, new)
        else:
            tid = rng.choice(sorted(tasks))
            title = make_title(rng)
            while title == tasks[tid]["title"]:
                title = make_title(rng)
            cli(["task", "edit", "TASK-%d" % tid, "-t", title, "--plain"], when)
            tasks[tid]["title"] = title
            msg = "Retitle TASK-%d: %s" % (tid, title)
        cli_t = time.time() - s
        commit(msg, author, when)
        op_times.append((kind, cli_t, time.time() - s))
        counts[kind] += 1
        if i % 25 == 0:
            recent = op_times[-25:]
            log("op %d elapsed %.0fs tasks=%d counts=%s avg_cli=%.3fs avg_op=%.3fs" % (
                i, time.time() - t0, len(tasks), counts,
                sum(x[1] for x in recent) / len(recent), sum(x[2] for x in recent) / len(recent)))
    log("DONE ops=%d elapsed=%.0fs counts=%s" % (len(op_times), time.time() - t0, counts))
    if op_times:
        for k in ("create", "reorder", "status", "title"):
            xs = [x[1] for x in op_times if x[0] == k]
            if xs:
                log("cli time %s: n=%d mean=%.3fs min=%.3fs max=%.3fs" % (
                    k, len(xs), sum(xs) / len(xs), min(xs), max(xs)))
        log("mean total per op (cli+git): %.3fs" % (sum(x[2] for x in op_times) / len(op_times)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        log("ERROR: %s" % e)
        raise
