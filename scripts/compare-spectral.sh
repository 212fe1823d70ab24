#!/usr/bin/env bash
# Side by side with a peer: Stoplight Spectral 6.16.3 (installed from npm into a temporary folder)
# and backlint run the same four checks on the same generated YAML backlogs. The script checks that
# both report the same number of findings per rule, and prints time and peak-memory ratios, plus a
# parse-only floor (backlint's YAML parser and model with every rule disabled).
#   bash scripts/compare-spectral.sh [N ...]     (default: 1000 10000 100000)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
sizes=("${@:-1000 10000 100000}")
read -r -a sizes <<< "${sizes[*]}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
spectral_dir="${SPECTRAL_DIR:-$work/spectral}"
if [ ! -x "$spectral_dir/node_modules/.bin/spectral" ]; then
  mkdir -p "$spectral_dir"
  (cd "$spectral_dir" && npm install --silent --no-audit --no-fund @stoplight/spectral-cli@6.16.3 >/dev/null)
fi
spectral="$spectral_dir/node_modules/.bin/spectral"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin backlint --example generate
backlint="$repo/target/release/backlint"
generate="$repo/target/release/examples/generate"

# Only the four checks: every built-in rule disabled.
{ "$backlint" rules | awk 'NR > 1 { print "disable " $1 }'; cat "$repo/scripts/spectral/checks.policy"; } > "$work/checks.policy"
"$backlint" rules | awk 'NR > 1 { print "disable " $1 }' > "$work/floor.policy"
cp "$repo/scripts/spectral/spectral.yaml" "$work/.spectral.yaml"

measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>/dev/null || true; cat "$work/time" | tail -1; }
count_backlint() { python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); c=collections.Counter(f["rule"] for f in d["findings"]); print(" ".join(f"{k}={c[k]}" for k in sorted(c)))' "$1"; }
count_spectral() { python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); c=collections.Counter(f["code"] for f in d if f["code"] in ("near-items-need-criteria","goal-link-matches","distant-items-no-criteria","title-three-words")); print(" ".join(f"{k}={c[k]}" for k in sorted(c)))' "$1"; }

printf '| items | backlint | Spectral | speed-up | backlint memory | Spectral memory | memory ratio | parse-only floor | backlint / floor |\n|---|---|---|---|---|---|---|---|---|\n'
for n in "${sizes[@]}"; do
  file="$work/g$n.yaml"
  "$generate" yaml "$n" "$file"
  read -r b_s b_kb < <(measure "$backlint" check "$file" --policy "$work/checks.policy" --format json)
  cp "$work/out" "$work/b.json"
  read -r f_s f_kb < <(measure "$backlint" check "$file" --policy "$work/floor.policy" --format json)
  read -r s_s s_kb < <(cd "$work" && measure timeout 1800 "$spectral" lint "$file" --ruleset "$work/.spectral.yaml" --format json --quiet)
  cp "$work/out" "$work/s.json"
  b_counts="$(count_backlint "$work/b.json")"
  s_counts="$(count_spectral "$work/s.json" 2>/dev/null || echo "spectral failed")"
  [ "$b_counts" = "$s_counts" ] || { echo "finding counts differ for $n items: backlint [$b_counts] spectral [$s_counts]"; exit 1; }
  python3 -c "import sys; n,b,s,bk,sk,f=sys.argv[1:7]; b,s,bk,sk,f=float(b),float(s),int(bk),int(sk),float(f); print(f'| {n} | {b:.2f} s | {s:.2f} s | {s/max(b,0.01):.1f}x | {bk//1024} MB | {sk//1024} MB | {sk/max(bk,1):.1f}x | {f:.2f} s | {b/max(f,0.01):.2f}x |')" "$n" "$b_s" "$s_s" "$b_kb" "$s_kb" "$f_s"
  echo "  same findings per rule: $b_counts" >&2
done
