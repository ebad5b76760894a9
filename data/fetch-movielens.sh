#!/usr/bin/env bash
# Re-fetches MovieLens ml-latest-small (the 2016 snapshot: 100,004 ratings, 671 users, 9,066 rated
# movies) from the PyPI source package lenskit==2025.8.1, which ships it under data/ml-latest-small/,
# checks the package's and the files' SHA-256, and installs ratings.csv, movies.csv and README.txt
# (the GroupLens licence) next to this script. Research use under the GroupLens terms; see README.txt.
#
# Usage: data/fetch-movielens.sh            (from anywhere; needs pip and tar)
set -euo pipefail

SDIST_SHA256=954b22a81e8a0d2012a173340079aa3d0c68dcc8cb9954e488fc228d77d4cb55
declare -A FILE_SHA256=(
  [ratings.csv]=b4239649fbf90ebf405c56c3ae1d929d9e7c86fc1a3a80cbef1c884df593ef73
  [movies.csv]=43d1736d3c688eb5b7856473c36d86a1c345676cab256c91720c1f6984d263b5
  [README.txt]=59be481ddf3fab0f9f7cf2f73e0db4d0920a413a313c911b62bd01ee8816ea2f
)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/ml-latest-small"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Only the sdist carries the data. `--only-binary maturin` lets pip use the build backend's wheel to
# read the package metadata instead of compiling maturin from source (minutes of cargo).
pip download --no-deps --no-binary :all: --only-binary maturin lenskit==2025.8.1 -d "$work" >&2
sdist="$work/lenskit-2025.8.1.tar.gz"
echo "$SDIST_SHA256  $sdist" | sha256sum --check --quiet
tar -xzf "$sdist" -C "$work" lenskit-2025.8.1/data/ml-latest-small
src="$work/lenskit-2025.8.1/data/ml-latest-small"
for f in "${!FILE_SHA256[@]}"; do
  echo "${FILE_SHA256[$f]}  $src/$f" | sha256sum --check --quiet
done
mkdir -p "$dest"
for f in "${!FILE_SHA256[@]}"; do
  cp "$src/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "installed ratings.csv, movies.csv, README.txt into $dest (checksums verified)" >&2
