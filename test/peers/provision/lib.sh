# Sourced by every provisioning script in this folder.
#
# Peers are cached outside the repository so that a clean clone, a second
# checkout or CI reuse them; the Go module and build caches are Go's own.
set -euo pipefail

HELIOS_PEERS_CACHE="${HELIOS_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/helios-peers}"
PEERS_BIN="$HELIOS_PEERS_CACHE/bin"      # executables (or launcher scripts) the tests start
PEERS_DATA="$HELIOS_PEERS_CACHE/data"    # data files (databases, schemas, sample configs)
PEERS_SRC="$HELIOS_PEERS_CACHE/src"      # wrapper modules, downloaded archives, extracted packages
PEERS_STAMPS="$HELIOS_PEERS_CACHE/stamps"
mkdir -p "$PEERS_BIN" "$PEERS_DATA" "$PEERS_SRC" "$PEERS_STAMPS"
export HELIOS_PEERS_CACHE PEERS_BIN PEERS_DATA PEERS_SRC
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

log() { printf '[peers] %s\n' "$*" >&2; }

# A stamp records that <peer> was provisioned at <version>; a changed pin rebuilds.
stamped() { [ -f "$PEERS_STAMPS/$1@$2" ]; }
stamp() { rm -f "$PEERS_STAMPS/$1@"*; date -u +%FT%TZ >"$PEERS_STAMPS/$1@$2"; }

# The one line each script prints last: peer, version, where it lives.
report() { printf '%-20s %-24s %s\n' "$1" "$2" "$3"; }
