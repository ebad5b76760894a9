#!/usr/bin/env bash
# Control arms at equal budget (issue 20): the built-in optimiser, random search and weights-only
# coordinate ascent, ITERS iterations each, for every seed in SEEDS, on the MovieLens demo store
# (default split: 30 % of users held out). Runs one loop at a time (each uses every core).
#
#   BIN=target/ci/scorelab OUT=/tmp/arms ITERS=50 SEEDS="1 2 3" scripts/control-arms.sh
#
# Writes OUT/runs/<arm>/<ts>/ (the run directories), OUT/<arm>-seed<S>.json (the loop's --json
# document), OUT/<arm>-seed<S>.log (stderr) and OUT/wall.tsv (arm, seed, wall seconds). Then
#   scorelab compare OUT/runs/builtin/<ts> OUT/runs/random/<ts> OUT/runs/weights/<ts>
# per seed (the three share the seed's split), and scripts/control-arms-summary.py OUT for the table.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${BIN:-$REPO/target/ci/scorelab}")
OUT=${OUT:-$REPO/runs-arms}
ITERS=${ITERS:-50}
SEEDS=${SEEDS:-"1 2 3"}
ARMS=${ARMS:-"builtin random weights"}
# Extra loop flags for every run, e.g. EXTRA_ARGS="--candidate-timeout 600" on a machine busy enough
# that a starved evaluation could overrun the default budget.
read -r -a EXTRA <<<"${EXTRA_ARGS:-}"
mkdir -p "$OUT"
cd "$OUT"
# The demo store is built from data/ml-latest-small under the working directory on first use.
ln -sfn "$REPO/data" data
for seed in $SEEDS; do
  for arm in $ARMS; do
    start=$(date +%s)
    "$BIN" loop --provider "$arm" --iters "$ITERS" --seed "$seed" --baseline-dir "$REPO/scripts/baseline" \
      --runs-dir "runs/$arm" --json "${EXTRA[@]}" >"$arm-seed$seed.json" 2>"$arm-seed$seed.log"
    printf '%s\t%s\t%s\n' "$arm" "$seed" "$(($(date +%s) - start))" >>wall.tsv
  done
done
