#!/usr/bin/env bash
# blackbox_exporter, plus the module's stock blackbox.yml (http_2xx,
# tcp_connect, icmp, ...) in $PEERS_DATA/blackbox_exporter/blackbox.yml.
# A wrapper module is used because `go install ...@v0.28.0` fails here: the
# proxy refuses the module's version list (see lib-go.sh); v0.28.1 is not served.
#   blackbox_exporter --config.file=$PEERS_DATA/blackbox_exporter/blackbox.yml --web.listen-address=127.0.0.1:PORT
#   curl 'http://127.0.0.1:PORT/probe?module=tcp_connect&target=127.0.0.1:22'
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

BLACKBOX_EXPORTER_VERSION=v0.28.0
BIN="$PEERS_BIN/blackbox_exporter"
CONF="$PEERS_DATA/blackbox_exporter/blackbox.yml"

if ! stamped blackbox-exporter "$BLACKBOX_EXPORTER_VERSION" || [ ! -x "$BIN" ] || [ ! -f "$CONF" ]; then
	t0=$SECONDS
	dir=$(gowrap_init blackbox-exporter github.com/prometheus/blackbox_exporter "$BLACKBOX_EXPORTER_VERSION" github.com/prometheus/blackbox_exporter)
	gowrap_build "$dir" github.com/prometheus/blackbox_exporter "$BIN" $(prom_version_ldflags "$BLACKBOX_EXPORTER_VERSION")
	mkdir -p "$(dirname "$CONF")"
	install -m 644 "$(gowrap_moddir github.com/prometheus/blackbox_exporter "$BLACKBOX_EXPORTER_VERSION")/blackbox.yml" "$CONF"
	stamp blackbox-exporter "$BLACKBOX_EXPORTER_VERSION"
	log "blackbox_exporter built in $((SECONDS - t0)) s; stock config $CONF"
fi

"$BIN" --version 2>&1 | head -1 >&2
report blackbox-exporter "$BLACKBOX_EXPORTER_VERSION" "$BIN"
