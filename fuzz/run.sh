#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer via cargo-fuzz) of the five entry points: the YAML source, the
# Markdown source, the CSV source, the policy compiler, and the renderers over what a file makes them print. The machine has only a stable toolchain:
# RUSTC_BOOTSTRAP=1 lets it accept the sanitizer flags cargo-fuzz passes.
#   cargo install cargo-fuzz --locked
#   bash fuzz/run.sh [SECONDS_PER_TARGET]      (default 240; two targets at a time)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-240}"
mkdir -p corpus/yaml corpus/markdown corpus/csv corpus/policy corpus/render
for f in ../examples/*/backlog.yaml; do cp "$f" "corpus/yaml/$(basename "$(dirname "$f")").yaml"; done
cp ../tests/fixtures/rules/*/fires.yaml corpus/yaml/ 2>/dev/null || true
cp corpus/yaml/* corpus/render/
find ../tests/fixtures/backlog_md -name '*.md' -exec cp {} corpus/markdown/ \;
cp ../tests/fixtures/jira/*.csv corpus/csv/
cp ../rules/*/*.policy ../examples/backlint.policy corpus/policy/
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
run() { cargo fuzz run -O "$1" "corpus/$1" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536; }
# Two at a time; `wait PID` (not a bare `wait`) so that a crash in either fails the script.
pair() { run "$1" & local a=$!; run "$2" & local b=$!; wait "$a"; wait "$b"; }
pair yaml policy
pair markdown csv
pair render yaml
echo "no crash: fuzz/artifacts holds none"
