#!/usr/bin/env bash
# Renders the recorded run fixture (tests/fixtures/report_run) with `scorelab report` and checks it
# in a real browser: headless Debian chromium loads the file from disk (no network) and saves a
# screenshot, tests/fixtures/report_run/report.png by default (the one the README shows).
#
#   apt-get install -y chromium          # once
#   tests/report_screenshot.sh [OUT.png]
#
# The fixture directory is not modified except for the PNG: the report is rendered from a copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/tests/fixtures/report_run/report.png}"
chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$chromium_bin" ]]; then
  echo "chromium not found: apt-get install -y chromium" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/runs"
cp -r "$here/tests/fixtures/report_run" "$work/runs/20261125-101502"
rm -f "$work/runs/20261125-101502/report.png"

cargo run --quiet --manifest-path "$here/Cargo.toml" -- report "$work/runs/20261125-101502" --out "$work/report.html"

# Every switch that could reach the network is off; --user-data-dir keeps the profile throwaway.
profile="$(mktemp -d)"
args=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
      --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile"
      --window-size=1280,2000 --screenshot="$work/shot.png")
"$chromium_bin" "${args[@]}" "file://$work/report.html" >"$work/chromium.log" 2>&1 || {
  cat "$work/chromium.log" >&2
  exit 2
}
rm -rf "$profile"
if [[ ! -s "$work/shot.png" ]]; then
  echo "chromium produced no screenshot" >&2
  cat "$work/chromium.log" >&2
  exit 2
fi
cp "$work/shot.png" "$out"
echo "screenshot: $out ($(stat -c %s "$out") bytes)"
