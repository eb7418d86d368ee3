#!/usr/bin/env bash
# MaxMind test databases (GeoIP2/GeoLite2 City, Country, ASN, ISP, ... *-Test.mmdb) and their JSON sources.
#
# They come from the MaxMind-DB repository's test-data/ and source-data/. The Go module
# github.com/maxmind/MaxMind-DB is refused by the Go module proxy here (403 "This module version is not
# available", for @latest, @master and explicit commits), so this takes the copy that MaxMind ships
# inside the PyPI sdist of `maxminddb` (tests/data/), pinned by version and sha256.
#
# Result: $PEERS_DATA/maxmind/*.mmdb and $PEERS_DATA/maxmind/source-data/*.json
source "$(dirname "$0")/lib.sh"

MAXMINDDB_VERSION=3.2.0
MAXMINDDB_SHA256=d28e0073fd1dd637c8b95947bc864b5625eca9f8f2db1538145e33b2a1cd4b92

OUT="$PEERS_DATA/maxmind"
if stamped maxmind "$MAXMINDDB_VERSION" && [ -f "$OUT/GeoIP2-City-Test.mmdb" ] && [ -f "$OUT/GeoLite2-ASN-Test.mmdb" ]; then
  report maxmind "$MAXMINDDB_VERSION" "$OUT"
  exit 0
fi

dl="$PEERS_SRC/maxmind"
sdist="$dl/maxminddb-$MAXMINDDB_VERSION.tar.gz"
mkdir -p "$dl"
if ! echo "$MAXMINDDB_SHA256  $sdist" | sha256sum -c --status 2>/dev/null; then
  log "maxmind: pip download maxminddb==$MAXMINDDB_VERSION (sdist)"
  # pip still prepares the sdist's metadata in an isolated build env (setuptools, setuptools-scm
  # wheels); "--no-binary :all:" would build those from source too (2 min instead of 10 s).
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary maxminddb \
    "maxminddb==$MAXMINDDB_VERSION" -d "$dl" >&2
  echo "$MAXMINDDB_SHA256  $sdist" | sha256sum -c --status || { log "maxmind: sha256 mismatch for $sdist"; exit 1; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$sdist" -C "$tmp" "maxminddb-$MAXMINDDB_VERSION/tests/data/test-data" \
  "maxminddb-$MAXMINDDB_VERSION/tests/data/source-data" "maxminddb-$MAXMINDDB_VERSION/tests/data/LICENSE-MIT" \
  "maxminddb-$MAXMINDDB_VERSION/tests/data/LICENSE-APACHE"
src="$tmp/maxminddb-$MAXMINDDB_VERSION/tests/data"
rm -rf "$OUT"
mkdir -p "$OUT/source-data"
cp "$src"/test-data/*.mmdb "$OUT/"
cp "$src"/source-data/*.json "$OUT/source-data/"
cp "$src"/LICENSE-* "$OUT/"

# verify: each database the tests use carries the MaxMind DB metadata marker and its database_type
for db in GeoIP2-City-Test GeoLite2-City-Test GeoLite2-Country-Test GeoLite2-ASN-Test GeoIP2-ISP-Test; do
  python3 - "$OUT/$db.mmdb" "${db%-Test}" <<'EOF' || { log "maxmind: $db.mmdb is not a MaxMind DB"; exit 1; }
import sys
data = open(sys.argv[1], "rb").read()
i = data.rfind(b"\xab\xcd\xefMaxMind.com")
sys.exit(0 if i > 0 and sys.argv[2].encode() in data[i:] else 1)
EOF
done

stamp maxmind "$MAXMINDDB_VERSION"
report maxmind "$MAXMINDDB_VERSION" "$OUT"
