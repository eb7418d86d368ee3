#!/usr/bin/env bash
# snmp_exporter, plus the module's stock snmp.yml (auths public_v1/public_v2,
# modules if_mib, system, ...) in $PEERS_DATA/snmp_exporter/snmp.yml.
# Built from the module (pure Go; the generator, which needs cgo and MIBs, is
# not built). A wrapper module is used because `go install ...@v0.30.1` fails
# here: the proxy refuses the module's version list (see lib-go.sh).
#   snmp_exporter --config.file=$PEERS_DATA/snmp_exporter/snmp.yml --web.listen-address=127.0.0.1:PORT
#   curl 'http://127.0.0.1:PORT/snmp?target=127.0.0.1:16161&module=if_mib&auth=public_v2'
# A target's port goes into target= as host:port (default 161).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

SNMP_EXPORTER_VERSION=v0.30.1
BIN="$PEERS_BIN/snmp_exporter"
CONF="$PEERS_DATA/snmp_exporter/snmp.yml"

if ! stamped snmp-exporter "$SNMP_EXPORTER_VERSION" || [ ! -x "$BIN" ] || [ ! -f "$CONF" ]; then
	t0=$SECONDS
	dir=$(gowrap_init snmp-exporter github.com/prometheus/snmp_exporter "$SNMP_EXPORTER_VERSION" github.com/prometheus/snmp_exporter)
	gowrap_build "$dir" github.com/prometheus/snmp_exporter "$BIN" $(prom_version_ldflags "$SNMP_EXPORTER_VERSION")
	mkdir -p "$(dirname "$CONF")"
	install -m 644 "$(gowrap_moddir github.com/prometheus/snmp_exporter "$SNMP_EXPORTER_VERSION")/snmp.yml" "$CONF"
	stamp snmp-exporter "$SNMP_EXPORTER_VERSION"
	log "snmp_exporter built in $((SECONDS - t0)) s; stock config $CONF"
fi

"$BIN" --version 2>&1 | head -1 >&2
report snmp-exporter "$SNMP_EXPORTER_VERSION" "$BIN"
