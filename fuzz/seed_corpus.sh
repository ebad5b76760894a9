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
# The real-world scripts of ../shared (read at run time, never copied into the repository), when present.
shared="$here/../../shared/painless-realworld.jsonl"
if [ -f "$shared" ]; then
    python3 - "$shared" "$out" <<'PY'
import hashlib, json, sys
for line in open(sys.argv[1]):
    source = json.loads(line)["source"].encode()
    with open(f"{sys.argv[2]}/rw-{hashlib.sha1(source).hexdigest()[:16]}.painless", "wb") as f:
        f.write(source)
PY
fi
echo "seeded $(ls "$out" | wc -l) files into $out"
