#!/usr/bin/env bash
# prom-targets: Prometheus's own target pipeline (config loader, file_sd's target-group
# decoder, scrape.TargetsFromGroup with relabel_configs and hashmod), built from the
# Prometheus module of the release Helios deploys (v0.305.0 = Prometheus 3.5.0, as
# constructs/platform/images.ts pins). promtool cannot relabel, and the Debian promtool
# is 2.42; this tool shows which targets a Prometheus (shard) keeps and with which
# labels and scrape URL, without running a server. Source: test/peers/prom-targets/main.go.
#   prom-targets --config.file=prometheus.yml   # one JSON line per discovered target
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

PROMETHEUS_MODULE_VERSION=v0.305.0
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../prom-targets" && pwd)/main.go"
RECIPE="$PROMETHEUS_MODULE_VERSION+$(sha256sum "$SRC" | cut -c1-12)"
BIN="$PEERS_BIN/prom-targets"

if ! stamped prom-targets "$RECIPE" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	dir="$PEERS_SRC/prom-targets-wrapper"
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$SRC" "$dir/main.go"
	cat >"$dir/go.mod" <<GOMOD
module local/helios-peer/prom-targets

go 1.24

require github.com/prometheus/prometheus $PROMETHEUS_MODULE_VERSION
GOMOD
	gowrap_build "$dir" . "$BIN"
	stamp prom-targets "$RECIPE"
	log "prom-targets built in $((SECONDS - t0)) s"
fi

report prom-targets "$RECIPE" "$BIN"
