#!/usr/bin/env bash
# Prometheus Pushgateway: where run-to-completion jobs (the Target Generator's
# CronJob) leave their metrics for Prometheus to scrape. Same version as the
# image Helios deploys (constructs/platform/images.ts: 'pushgateway').
# A wrapper module is used because `go install ...@v1.11.1` reads the module's
# version list, which the proxy here refuses (see lib-go.sh).
#   pushgateway --web.listen-address=127.0.0.1:PORT
#   curl --data-binary @- http://127.0.0.1:PORT/metrics/job/JOB <<<'some_metric 1'
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

PUSHGATEWAY_VERSION=v1.11.1
BIN="$PEERS_BIN/pushgateway"

if ! stamped pushgateway "$PUSHGATEWAY_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	dir=$(gowrap_init pushgateway github.com/prometheus/pushgateway "$PUSHGATEWAY_VERSION" github.com/prometheus/pushgateway)
	gowrap_build "$dir" github.com/prometheus/pushgateway "$BIN" $(prom_version_ldflags "$PUSHGATEWAY_VERSION")
	stamp pushgateway "$PUSHGATEWAY_VERSION"
	log "pushgateway built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report pushgateway "$PUSHGATEWAY_VERSION" "$BIN"
