#!/usr/bin/env python3
"""Runs the shell steps of action.yml as a GitHub runner would, on this machine: GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, RUNNER_TEMP and GITHUB_ACTION_PATH set, inputs at their defaults, `if:`
conditions evaluated. `uses:` steps cannot run here and are named instead; the cache step counts as
a hit with the given binary in place (a miss runs `cargo install --path`, trial 1 of the README).

    python3 scripts/action-local.py PROJECT BACKLINT_BINARY   # exit: the action's result

Needs PyYAML (`pip install pyyaml`)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

action_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
project, binary = sys.argv[1], sys.argv[2]
action = yaml.safe_load(open(os.path.join(action_dir, "action.yml")))
inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
temp = tempfile.mkdtemp()
os.makedirs(f"{temp}/backlint/bin")
shutil.copy(binary, f"{temp}/backlint/bin/backlint")
summary = f"{temp}/summary.md"
open(summary, "w").close()
outputs = {"cache": {"cache-hit": "true"}}


def value(e):
    e = e.strip()
    if e.startswith("inputs."):
        return inputs[e[len("inputs."):]]
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", e)
    if m:
        return outputs.get(m.group(1), {}).get(m.group(2), "")
    if e == "runner.temp":
        return temp
    if e.startswith("'") and e.endswith("'"):
        return e[1:-1]
    raise SystemExit(f"expression not understood here: {e}")


def expand(text):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: value(m.group(1)), str(text))


def holds(condition):
    for term in (condition or "always()").split("&&"):
        term = term.strip()
        if term == "always()":
            continue
        left, op, right = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", term).groups()
        if (value(left) == value(right)) != (op == "=="):
            return False
    return True


result = 0
for step in action["runs"]["steps"]:
    name = step.get("name", step.get("uses"))
    if not holds(step.get("if")):
        print(f"--- skipped ({step['if']}): {name}")
        continue
    if "uses" in step:
        print(f"--- not run here (uses: {step['uses']}): {name}")
        continue
    out = f"{temp}/output-{step.get('id', 'step')}"
    open(out, "w").close()
    env = dict(os.environ, GITHUB_ACTION_PATH=action_dir, RUNNER_TEMP=temp, RUNNER_OS="Linux",
               RUNNER_ARCH="X64", GITHUB_OUTPUT=out, GITHUB_STEP_SUMMARY=summary)
    env.update({k: expand(v) for k, v in step.get("env", {}).items()})
    print(f"--- run: {name}", flush=True)
    done = subprocess.run(["bash", "-e", "-c", expand(step["run"])], cwd=project, env=env)
    if "id" in step:
        outputs[step["id"]] = dict(l.split("=", 1) for l in open(out).read().splitlines() if "=" in l)
    if done.returncode != 0:
        print(f"--- failed (exit {done.returncode}): {name}")
        result = done.returncode
        break
check = outputs.get("check", {})
print("outputs:", check)
if check.get("sarif-file"):
    print("SARIF:", os.path.getsize(check["sarif-file"]), "bytes")
print("job summary:", open(summary).read().splitlines()[:3])
sys.exit(result)
