#!/usr/bin/env bash
# Provides a JDK 21 for the Panama parity check (tests/engine/search.rs,
# `parity_on_a_panama_node_follows_each_lucene_vector_variant`) and prints its JAVA_HOME.
#
# Lucene 9.12 (OpenSearch 2.19) runs its Panama (SIMD) vector code only on Java 20-22 with the
# jdk.incubator.vector module; the embedded node otherwise runs on the machine's Java 17. Debian 12 has no
# JDK 21, so this takes Debian 13's openjdk-21-jre-headless package. That build needs glibc >= 2.38; on an
# older system it is run through Debian 13's own glibc loader (libc6 package, unpacked beside it, never
# installed), which is why JAVA_HOME/bin/java is a small wrapper. Nothing is installed system-wide.
#
#   JAVA_HOME_21=$(.ci/panama-jdk.sh [DIR])     # DIR defaults to ~/.cache/scorelab/panama-jdk
set -euo pipefail
DIR=${1:-$HOME/.cache/scorelab/panama-jdk}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOME21="$DIR/java-home"
if [ -x "$HOME21/bin/java" ] && "$HOME21/bin/java" --add-modules jdk.incubator.vector -XshowSettings:security:properties -version >/dev/null 2>&1; then
    echo "$HOME21"
    exit 0
fi
mkdir -p "$DIR/debs" "$DIR/root"
index="$DIR/debs/Packages"
curl -fsS -m 120 "$MIRROR/dists/trixie/main/binary-amd64/Packages.xz" | xz -dc >"$index"
deb_path() { awk -v p="$1" '$0 == "Package: " p { f = 1 } f && /^Filename:/ { print $2; exit }' "$index"; }
for package in openjdk-21-jre-headless libc6; do
    path=$(deb_path "$package")
    [ -n "$path" ] || { echo "error: $package is not in Debian trixie's index at $MIRROR" >&2; exit 2; }
    curl -fsS -m 600 -o "$DIR/debs/$package.deb" "$MIRROR/$path"
    dpkg-deb -x "$DIR/debs/$package.deb" "$DIR/root"
done
JDK="$DIR/root/usr/lib/jvm/java-21-openjdk-amd64"
# Debian links the JDK's configuration to absolute /etc paths; point them into the unpacked tree (a link
# whose target the packages do not ship, e.g. the system CA store, keeps pointing at the system's).
find "$JDK" -type l -lname '/*' | while IFS= read -r link; do
    target=$(readlink "$link")
    if [ -e "$DIR/root$target" ]; then ln -sfn "$DIR/root$target" "$link"; fi
done
LIBC="$DIR/root/usr/lib/x86_64-linux-gnu"
mkdir -p "$HOME21/bin"
if "$JDK/bin/java" -version >/dev/null 2>&1; then
    ln -sfn "$JDK/bin/java" "$HOME21/bin/java"
else
    cat >"$HOME21/bin/java" <<EOF
#!/bin/sh
# Debian 13's JDK 21 through Debian 13's glibc loader (written by .ci/panama-jdk.sh).
exec "$LIBC/ld-linux-x86-64.so.2" --library-path "$LIBC:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:$JDK/lib:$JDK/lib/server" "$JDK/bin/java" "\$@"
EOF
    chmod +x "$HOME21/bin/java"
fi
if ! "$HOME21/bin/java" --add-modules jdk.incubator.vector -XshowSettings:security:properties -version >/dev/null 2>&1; then
    echo "error: the JDK 21 in $DIR does not start:" >&2
    "$HOME21/bin/java" --add-modules jdk.incubator.vector -version >&2 || true
    exit 2
fi
echo "$HOME21"
