#!/usr/bin/env bash
# Seeds fuzz/corpus/parse_check with every script of the repository (scripts/**/*.painless and the
# golden inputs), one file each. The corpus directory is generated, not committed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/corpus/parse_check"
mkdir -p "$out"
find "$here/../scripts" "$here/../tests/golden" -name '*.painless' -print0 |
    while IFS= read -r -d '' f; do
        cp "$f" "$out/$(sha1sum "$f" | cut -c1-16).painless"
    done
echo "seeded $(ls "$out" | wc -l) files into $out"
