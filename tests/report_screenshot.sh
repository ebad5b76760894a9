#!/usr/bin/env bash
# Renders a recorded run with `scorelab report` and checks it in a real browser: headless Debian
# chromium loads the file from disk (no network) and saves a screenshot. By default the run is the
# recorded 50-iteration MovieLens loop (tests/fixtures/movielens_run) and the screenshot goes to
# its report.png (the one the README shows); tests/fixtures/report_run is the synthetic fixture
# that covers every status.
#
#   apt-get install -y chromium          # once
#   tests/report_screenshot.sh [OUT.png] [RUN_DIR]
#
# The run directory is not modified except for the PNG: the report is rendered from a copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_dir="${2:-$here/tests/fixtures/movielens_run}"
out="${1:-$run_dir/report.png}"
chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$chromium_bin" ]]; then
  echo "chromium not found: apt-get install -y chromium" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/runs"
run_name="$(basename "$run_dir")"
cp -r "$run_dir" "$work/runs/$run_name"
rm -f "$work/runs/$run_name/report.png"

cargo run --quiet --release --manifest-path "$here/Cargo.toml" -- report "$work/runs/$run_name" --out "$work/report.html"

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
