#!/usr/bin/env bash
# goflow2: NetFlow v5/v9, IPFIX (netflow://) and sFlow (sflow://) collector.
#   goflow2 -listen 'netflow://127.0.0.1:PORT' -addr 127.0.0.1:HTTPPORT \
#           -transport=file -transport.file=out.jsonl -format=json [-mapping=mapping.yaml]
# -addr (default :8080) serves /metrics and /__health: always set it in tests.
# Kafka: -transport=kafka -transport.kafka.brokers=H:P -transport.kafka.topic=T
#   [-transport.kafka.hashing] -format=bin. `bin` writes a varint length prefix
#   + flowpb.FlowMessage per flow. The Kafka message key is an FNV-32 hash of
#   the mapping's formatter.key fields (empty key without a mapping); only
#   with -transport.kafka.hashing is it used for partitioning (round-robin
#   otherwise).
# The module's example mapping file is copied to $PEERS_DATA/goflow2/mapping.yaml
# (formatter.fields / key / protobuf / render, and ipfix/netflowv9/sflow mappings).
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
