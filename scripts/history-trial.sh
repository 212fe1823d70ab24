#!/usr/bin/env bash
# A new user's trial of the history rules with the real Backlog.md CLI (from npm, into a temporary
# folder): a team creates and reorders tasks over several weeks, as three people, then runs
# backlint on the result. Prints who reordered how often and the history findings.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund backlog.md@1 >/dev/null)
bl="$work/node_modules/.bin/backlog"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin backlint
backlint="$repo/target/release/backlint"
cd "$work" && mkdir project && cd project
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git init -q -b main
"$bl" init "Harbor Ferries" --integration-mode none --auto-open-browser false --check-branches false </dev/null >/dev/null
printf 'Dana Lee <dana@ferries.example> <dana.lee@gmail.example>\n' > .mailmap
as() { # as NAME EMAIL DATE MESSAGE: commit everything as that person on that day
  GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" \
  GIT_AUTHOR_DATE="$3T10:00:00+01:00" GIT_COMMITTER_DATE="$3T10:00:00+01:00" git add -A
  GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" \
  GIT_AUTHOR_DATE="$3T10:00:00+01:00" GIT_COMMITTER_DATE="$3T10:00:00+01:00" git commit -qm "$4"
}
n=0
for title in "Buy a single ticket in the app" "Show the ticket as a QR code" "Keep tickets offline" \
  "Pay with Apple Pay" "Refund an unused ticket" "Buy a return ticket in one step" \
  "Gift a ticket to another passenger" "Loyalty points for frequent travellers"; do
  n=$((n + 1))
  "$bl" task create "$title" --ordinal $((n * 1000)) --milestone "App sales" >/dev/null
done
as "Dana Lee" dana@ferries.example 2026-09-01 "Start the ferry app backlog"
"$bl" task edit 4 --ordinal 500 >/dev/null
as "Sam Ortiz" sam@ferries.example 2026-09-08 "Apple Pay first for the autumn campaign"
"$bl" task edit 5 --ordinal 1500 >/dev/null
as "Dana Lee" dana.lee@gmail.example 2026-09-10 $'Refunds up\n\nReorder-Rationale: refund calls are a third of the support load'
"$bl" task edit 4 --ordinal 4500 >/dev/null
as "Dana Lee" dana@ferries.example 2026-09-12 $'Apple Pay back down\n\nThe campaign moved to spring.'
"$bl" task edit 8 --ordinal 100 >/dev/null
as "Priya Shah" priya@ferries.example 2026-09-20 "Loyalty to the top, as the steering committee asked"
"$bl" task edit 7 --ordinal 50 >/dev/null
as "Sam Ortiz" sam@ferries.example 2026-09-28 "Gifts for the Christmas sale"
for title in "Show the ferry's position on a map" "Notify delays" "Seat reservation" "Bike spaces" "Pet tickets"; do
  "$bl" task create "$title" --milestone "App sales" >/dev/null
done
as "Priya Shah" priya@ferries.example 2026-10-20 "Add requests from the stakeholder workshop"
cat > backlint.policy <<'POLICY'
settings {
  product_owner = "Dana Lee"
  product_goal = "More passengers buy their ticket in the app"
  goal_milestone = "App sales"
}
POLICY
echo "== git log"
git log --format='%ad %aN: %s' --date=short --reverse
echo "== backlint check backlog (history rules)"
"$backlint" check backlog --format short --fail-on error 2>&1 \
  | grep -E 'committee-reordering|reorder-without-rationale|ordering-flip-flop|ordering-stagnant|product-owner-never-orders' || true
echo "== who reordered how often"
"$backlint" report backlog --format markdown | grep -E '^\| backlog'
