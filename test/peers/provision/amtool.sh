#!/usr/bin/env bash
# amtool (Alertmanager CLI): `amtool check-config`, `amtool config routes test`.
# Only cmd/amtool is built; the alertmanager server itself cannot be built
# from the module since v0.32 (its web UI assets are not in the module).
#   amtool check-config am.yml
#   amtool config routes test --config.file=am.yml --verify.receivers=critical severity=critical
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

ALERTMANAGER_VERSION=v0.34.2
BIN="$PEERS_BIN/amtool"

if ! stamped amtool "$ALERTMANAGER_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	dir=$(gowrap_init amtool github.com/prometheus/alertmanager "$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager/cmd/amtool)
	gowrap_build "$dir" github.com/prometheus/alertmanager/cmd/amtool "$BIN" $(prom_version_ldflags "$ALERTMANAGER_VERSION")
	stamp amtool "$ALERTMANAGER_VERSION"
	log "amtool built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report amtool "$ALERTMANAGER_VERSION" "$BIN"
