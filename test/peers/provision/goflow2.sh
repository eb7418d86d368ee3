#!/usr/bin/env bash
# goflow2: NetFlow v5/v9, IPFIX and sFlow collector.
#   goflow2 -listen 'netflow://127.0.0.1:PORT' -transport=file -transport.file=out.jsonl -format=json
#   (Kafka: -transport=kafka -transport.kafka.brokers=127.0.0.1:19092 -transport.kafka.topic=flows -format=bin)
# The module's example mapping file is copied to $PEERS_DATA/goflow2/mapping.yaml.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

GOFLOW2_VERSION=v2.2.6
BIN="$PEERS_BIN/goflow2"
MAPPING="$PEERS_DATA/goflow2/mapping.yaml"

if ! stamped goflow2 "$GOFLOW2_VERSION" || [ ! -x "$BIN" ] || [ ! -f "$MAPPING" ]; then
	t0=$SECONDS
	dir=$(gowrap_init goflow2 github.com/netsampler/goflow2/v2 "$GOFLOW2_VERSION" github.com/netsampler/goflow2/v2/cmd/goflow2)
	gowrap_build "$dir" github.com/netsampler/goflow2/v2/cmd/goflow2 "$BIN" \
		"-X main.version=$GOFLOW2_VERSION" "-X main.buildinfos=module"
	mkdir -p "$(dirname "$MAPPING")"
	install -m 644 "$(gowrap_moddir github.com/netsampler/goflow2/v2 "$GOFLOW2_VERSION")/cmd/goflow2/mapping.yaml" "$MAPPING"
	stamp goflow2 "$GOFLOW2_VERSION"
	log "goflow2 built in $((SECONDS - t0)) s"
fi

"$BIN" -v 2>&1 | head -1 >&2
report goflow2 "$GOFLOW2_VERSION" "$BIN"
