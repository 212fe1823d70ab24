#!/usr/bin/env bash
# Regenerates docs/report.png: the HTML report of the unhealthy example in headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out="$(mktemp -d)"
target/release/backlint report examples/unhealthy --output "$out/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2200 \
  --screenshot="$PWD/docs/report.png" "file://$out/report.html" 2>/dev/null
ls -l docs/report.png "$out/report.html"
