#!/usr/bin/env bash
# The Python install path, tried for real: builds the wheel with maturin (from PyPI, in a temporary
# virtual environment), installs it with pip into a fresh virtual environment and runs it, then
# uses it as a pre-commit hook (`repo: local`, `language: python`, the wheel as
# `additional_dependencies`) in a temporary git repository: a bad backlog fails the commit, a fixed
# one passes. Prints how long each first use takes. `CARGO_TARGET_DIR` reuses an earlier build.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
since() { printf '%.1f s' "$(echo "$(now) - $1" | bc)"; }

python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.7,<2" "pre-commit==4.*"

t=$(now)
(cd "$repo" && "$work/tools/bin/maturin" build --release --locked --out "$work/wheels")
wheel=$(ls "$work"/wheels/backlint-*.whl)
echo "--- wheel built in $(since "$t"): $(basename "$wheel")"

t=$(now)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
echo "--- fresh virtual environment + pip install in $(since "$t")"
"$work/venv/bin/backlint" --version
status=0
(cd "$repo" && "$work/venv/bin/backlint" check examples/ --format short > "$work/examples.log") || status=$?
tail -n 1 "$work/examples.log"
[ "$status" = 1 ] || { echo "FAIL: check examples/ exited $status, not 1 (findings)"; exit 1; }
(cd "$repo" && "$work/venv/bin/backlint" check examples/healthy >/dev/null) || { echo "FAIL: examples/healthy is not clean"; exit 1; }

export PRE_COMMIT_HOME="$work/cache"
mkdir "$work/project" && cd "$work/project"
git init --quiet
git config user.email dana@example.com
git config user.name "Dana Lee"
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: local
    hooks:
      - id: backlint
        name: backlint (Product Backlog)
        entry: backlint check --staged
        language: python
        additional_dependencies: ["$wheel"]
        pass_filenames: false
        require_serial: true
YAML
printf 'product: Demo\nproduct_owner: Product Team\nitems:\n  - id: A\n    title: Misc\n' > backlog.yaml
git add .pre-commit-config.yaml backlog.yaml
t=$(now)
"$work/tools/bin/pre-commit" install >/dev/null
if git commit --quiet -m "A bad backlog" > "$work/bad.log" 2>&1; then
  cat "$work/bad.log"; echo "FAIL: the hook passed a bad backlog"; exit 1
fi
grep -q product-owner-not-one-person "$work/bad.log" || { cat "$work/bad.log"; echo "FAIL: finding missing"; exit 1; }
echo "--- pre-commit install + first commit (hook environment made from the wheel) in $(since "$t"): blocked, as it should be"
cat > backlog.yaml <<'YAML'
product: Demo
product_owner: Dana Lee
optimizing_for: learning
definition_of_done: [Code reviewed, Released]
product_goals:
  - {id: G1, statement: Half of all orders placed online, measure: online share of orders, target: 50% by 2027-06-30, status: active}
items:
  - id: A
    title: Pay for an order by card
    goal: G1
    estimate: 3
    acceptance_criteria: [A paid order is confirmed by e-mail]
YAML
git add backlog.yaml
t=$(now)
git commit --quiet -m "A fixed backlog" > "$work/good.log" 2>&1 || { cat "$work/good.log"; echo "FAIL: the hook blocked a good backlog"; exit 1; }
echo "--- second commit in $(since "$t"): passed"
echo "wheel trial: passed"
