#!/usr/bin/env bash
# Prometheus 3 server and its promtool, built from the module of the release Helios deploys
# (v0.305.0 = Prometheus 3.5.0, as constructs/platform/images.ts pins; the same module
# prom-targets.sh builds, so a warm Go build cache is shared).
#  - prometheus: without `-tags builtinassets` there is no embedded web UI (the UI 404s); the
#    HTTP API, scraping, rules, remote write and the TSDB are complete.
#  - promtool3: Prometheus 3's promtool under its own name. The default $PEERS_BIN/promtool is
#    Debian's 2.42 (promtool.sh), which rejects operator output (`kubernetes_sd_configs` is not
#    compiled into Debian's build) and 3.x-only syntax; this one checks what the operator renders.
# `go install` cannot build v0.300-v0.314 (go.mod `exclude`/`replace`), a wrapper can.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

PROMETHEUS_MODULE_VERSION=v0.305.0
PROMETHEUS_VERSION=v3.5.0
BIN="$PEERS_BIN/prometheus"
TOOL="$PEERS_BIN/promtool3"

if ! stamped prometheus "$PROMETHEUS_MODULE_VERSION" || [ ! -x "$BIN" ] || [ ! -x "$TOOL" ]; then
	t0=$SECONDS
	log "prometheus $PROMETHEUS_VERSION: building through a wrapper module (cold: ~8 min on 2 cores)"
	dir=$(gowrap_init prometheus github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION" github.com/prometheus/prometheus/cmd/prometheus)
	(cd "$dir" && go mod edit -tool github.com/prometheus/prometheus/cmd/promtool)
	gowrap_build "$dir" github.com/prometheus/prometheus/cmd/prometheus "$BIN" $(prom_version_ldflags "$PROMETHEUS_VERSION")
	gowrap_build "$dir" github.com/prometheus/prometheus/cmd/promtool "$TOOL" $(prom_version_ldflags "$PROMETHEUS_VERSION")
	stamp prometheus "$PROMETHEUS_MODULE_VERSION"
	log "prometheus built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
"$TOOL" --version 2>&1 | head -1 >&2
report prometheus "$PROMETHEUS_VERSION" "$BIN $TOOL"
