#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer via cargo-fuzz) of the four entry points: the YAML source, the
# Markdown source, the CSV source and the policy compiler. The machine has only a stable toolchain:
# RUSTC_BOOTSTRAP=1 lets it accept the sanitizer flags cargo-fuzz passes.
#   cargo install cargo-fuzz --locked
#   bash fuzz/run.sh [SECONDS_PER_TARGET]      (default 240; two targets at a time)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-240}"
mkdir -p corpus/yaml corpus/markdown corpus/csv corpus/policy
for f in ../examples/*/backlog.yaml; do cp "$f" "corpus/yaml/$(basename "$(dirname "$f")").yaml"; done
cp ../tests/fixtures/rules/*/fires.yaml corpus/yaml/ 2>/dev/null || true
find ../tests/fixtures/backlog_md -name '*.md' -exec cp {} corpus/markdown/ \;
cp ../tests/fixtures/jira/*.csv corpus/csv/
cp ../rules/*.policy ../examples/backlint.policy corpus/policy/
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
run() { cargo fuzz run -O "$1" "corpus/$1" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536; }
run yaml & run policy & wait
run markdown & run csv & wait
echo "no crash: fuzz/artifacts holds none"
