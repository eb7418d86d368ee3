#!/usr/bin/env bash
# Alertmanager server at v0.28.1, the release Helios deploys (constructs/platform/images.ts).
# Built from the Go module: up to v0.31.x the web UI ships as generated Go (asset/assets_vfsdata.go),
# so the module builds as is (from v0.32 the UI bundle is `//go:embed app/dist`, absent from the
# module). amtool comes from amtool.sh (v0.34.2, whose check-config accepts this release's config).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

ALERTMANAGER_VERSION=v0.28.1
BIN="$PEERS_BIN/alertmanager"

if ! stamped alertmanager "$ALERTMANAGER_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	dir=$(gowrap_init alertmanager github.com/prometheus/alertmanager "$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager/cmd/alertmanager)
	gowrap_build "$dir" github.com/prometheus/alertmanager/cmd/alertmanager "$BIN" $(prom_version_ldflags "$ALERTMANAGER_VERSION")
	stamp alertmanager "$ALERTMANAGER_VERSION"
	log "alertmanager built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report alertmanager "$ALERTMANAGER_VERSION" "$BIN"
