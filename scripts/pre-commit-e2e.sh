#!/usr/bin/env bash
# Verifies the pre-commit hook for real: installs `pre-commit` from PyPI into a temporary virtual
# environment, runs `pre-commit try-repo` against this repository in a temporary git repository with
# a bad backlog (the hook must fail), fixes the backlog (the hook must pass).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==4.*"
export PRE_COMMIT_HOME="$work/cache"

mkdir "$work/project"
cd "$work/project"
git init --quiet
git config user.email ci@example.com
git config user.name CI
cat > backlog.yaml <<'YAML'
product: Demo
product_owner: Product Team
items:
  - id: A
    title: Misc
YAML
git add backlog.yaml

echo "--- a bad backlog: the hook must fail"
if "$work/venv/bin/pre-commit" try-repo "$repo" backlint --all-files --color never > "$work/bad.log" 2>&1; then
  cat "$work/bad.log"; echo "FAIL: the hook passed on a bad backlog"; exit 1
fi
grep -q "product-owner-not-one-person" "$work/bad.log" || { cat "$work/bad.log"; echo "FAIL: expected finding missing"; exit 1; }
tail -n 25 "$work/bad.log"

echo "--- the fixed backlog: the hook must pass"
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
"$work/venv/bin/pre-commit" try-repo "$repo" backlint --all-files --color never > "$work/good.log" 2>&1 || { cat "$work/good.log"; echo "FAIL: the hook failed on a good backlog"; exit 1; }
tail -n 8 "$work/good.log"

echo "--- a reorder staged by someone who is not the Product Owner: the hook must fail"
cat >> backlog.yaml <<'YAML'
  - id: B
    title: Track an order on a map
    goal: G1
    estimate: 3
    acceptance_criteria: [The courier's position updates every minute]
YAML
git add backlog.yaml
git -c user.name="Dana Lee" -c user.email=dana@example.com commit --quiet --no-verify -m "Two items"
python3 - <<'PY'
text = open("backlog.yaml").read()
head, items = text.split("items:\n")
a, b = items.split("  - id: B\n")
open("backlog.yaml", "w").write(head + "items:\n  - id: B\n" + b + a)
PY
git add backlog.yaml
if GIT_COMMITTER_NAME="Sam Ortiz" GIT_COMMITTER_EMAIL=sam@example.com \
  "$work/venv/bin/pre-commit" try-repo "$repo" backlint --color never > "$work/reorder.log" 2>&1; then
  cat "$work/reorder.log"; echo "FAIL: the hook passed on a reorder by someone else"; exit 1
fi
grep -q "committee-reordering" "$work/reorder.log" || { cat "$work/reorder.log"; echo "FAIL: expected committee-reordering"; exit 1; }
grep -q "Sam Ortiz" "$work/reorder.log" || { cat "$work/reorder.log"; echo "FAIL: the committer is not named"; exit 1; }
tail -n 12 "$work/reorder.log"

echo "--- commit-msg stage: a reorder by the Product Owner without a rationale must fail, with a trailer pass"
git reset --quiet --hard
python3 - <<'PY'
text = open("backlog.yaml").read()
head, items = text.split("items:\n")
a, b = items.split("  - id: B\n")
open("backlog.yaml", "w").write(head + "items:\n  - id: B\n" + b + a)
PY
git add backlog.yaml
printf 'Move B first\n' > "$work/msg-without"
printf 'Move B first\n\nReorder-Rationale: couriers are our most frequent support call\n' > "$work/msg-with"
export GIT_COMMITTER_NAME="Dana Lee" GIT_COMMITTER_EMAIL=dana@example.com
if "$work/venv/bin/pre-commit" try-repo "$repo" backlint-commit-msg --hook-stage commit-msg \
  --commit-msg-filename "$work/msg-without" --color never > "$work/msg1.log" 2>&1; then
  cat "$work/msg1.log"; echo "FAIL: the commit-msg hook passed a reorder without a rationale"; exit 1
fi
grep -q "reorder-without-rationale" "$work/msg1.log" || { cat "$work/msg1.log"; echo "FAIL: expected reorder-without-rationale"; exit 1; }
"$work/venv/bin/pre-commit" try-repo "$repo" backlint-commit-msg --hook-stage commit-msg \
  --commit-msg-filename "$work/msg-with" --color never > "$work/msg2.log" 2>&1 \
  || { cat "$work/msg2.log"; echo "FAIL: the commit-msg hook blocked a reorder with a trailer"; exit 1; }
tail -n 4 "$work/msg2.log"
echo "pre-commit hook: 5 passed, 0 failed"
