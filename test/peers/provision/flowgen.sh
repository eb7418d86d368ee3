#!/usr/bin/env bash
# Flow generator: NetFlow v9, IPFIX and sFlow v5 datagrams with every field chosen by the test.
#
# The generator is test/peers/flowgen/flowgen.py (Python standard library only: no venv, no
# download). This installs a copy as $PEERS_BIN/flowgen, keyed by the script's hash, and checks it.
#   echo '{"target":"127.0.0.1:2055","exporter":"127.0.0.2","version":"ipfix","flows":[...]}' | flowgen
# See the docstring of flowgen.py for the JSON. If $PEERS_BIN/goflow2 exists (goflow2.sh), the check
# decodes one datagram of each version with it and compares every field.
source "$(dirname "$0")/lib.sh"

SRC="$(cd "$(dirname "$0")/../flowgen" && pwd)/flowgen.py"
VERSION="$(sha256sum "$SRC" | cut -c1-12)"
# Stamped "<hash>" once goflow2 decoded its output, "<hash>-encoded" when goflow2 was not there yet
# (then a later run with goflow2 present does the round trip).
if [ -x "$PEERS_BIN/flowgen" ] && { stamped flowgen "$VERSION" ||
   { stamped flowgen "$VERSION-encoded" && [ ! -x "$PEERS_BIN/goflow2" ]; }; }; then
  report flowgen "$VERSION" "$PEERS_BIN/flowgen"
  exit 0
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' || { log "flowgen: python3 >= 3.8 required"; exit 1; }
mkdir -p "$PEERS_SRC/flowgen"
cp "$SRC" "$PEERS_SRC/flowgen/flowgen.py"
cat >"$PEERS_BIN/flowgen" <<EOF
#!/bin/sh
exec python3 "$PEERS_SRC/flowgen/flowgen.py" "\$@"
EOF
chmod +x "$PEERS_BIN/flowgen"

# ---- verify
tmp=$(mktemp -d) gpid=
trap 'kill "$gpid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
free_udp() { python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nf=$(free_udp) sf=$(free_udp)
now=$(date +%s)
cat >"$tmp/in.json" <<EOF
{"exports": [
 {"target": "127.0.0.1:$nf", "exporter": "127.0.0.2", "version": "v9", "sampling_rate": 100, "domain": 7,
  "export_time": $now, "flows": [{"src_addr": "10.1.0.1", "dst_addr": "10.2.0.2", "src_port": 40000, "dst_port": 443,
  "proto": 6, "bytes": 123456, "packets": 89, "in_if": 11, "out_if": 12, "src_as": 64500, "dst_as": 64501,
  "start_ms": $((now * 1000 - 5123)), "end_ms": $((now * 1000 - 10))}]},
 {"target": "127.0.0.1:$nf", "exporter": "127.0.0.3", "version": "ipfix", "sampling_rate": 1000, "domain": 9,
  "flows": [{"src_addr": "2001:db8::a", "dst_addr": "2001:db8::b", "src_port": 53, "dst_port": 5353, "proto": 17,
  "bytes": 4294967296000, "packets": 5000000000, "in_if": 100000, "out_if": 4294967295,
  "start_ms": 1763900000123, "end_ms": 1763900005456}]},
 {"target": "127.0.0.1:$sf", "exporter": "127.0.0.4", "agent": "192.0.2.44", "version": "sflow", "sampling_rate": 512,
  "flows": [{"src_addr": "10.3.0.1", "dst_addr": "10.4.0.2", "src_port": 5000, "dst_port": 6000, "proto": 17,
  "bytes": 1400, "in_if": 31, "out_if": 32, "src_as": 65001, "dst_as": 65002}]}
]}
EOF
"$PEERS_BIN/flowgen" --dry-run <"$tmp/in.json" >"$tmp/hex" || { log "flowgen: encoding failed"; exit 1; }
[ "$(wc -l <"$tmp/hex")" = 3 ] || { log "flowgen: expected 3 datagrams"; exit 1; }

if [ -x "$PEERS_BIN/goflow2" ]; then
  "$PEERS_BIN/goflow2" -listen "netflow://127.0.0.1:$nf,sflow://127.0.0.1:$sf" -addr 127.0.0.1:0 \
    -transport=file -transport.file="$tmp/out.json" -format=json >"$tmp/goflow2.log" 2>&1 &
  gpid=$!
  for _ in $(seq 100); do grep -q 'starting collection.*netflow' "$tmp/goflow2.log" 2>/dev/null && break; sleep 0.05; done
  sleep 0.2
  "$PEERS_BIN/flowgen" <"$tmp/in.json" >/dev/null
  for _ in $(seq 100); do [ "$(wc -l <"$tmp/out.json" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.05; done
  python3 - "$tmp/out.json" "$now" <<'EOF' || { cat "$tmp/goflow2.log" >&2; log "flowgen: goflow2 round trip failed"; exit 1; }
import json, sys
got = {m["type"]: m for m in map(json.loads, open(sys.argv[1]))}
now = int(sys.argv[2])
want = {
  "NETFLOW_V9": dict(sampler_address="127.0.0.2", sampling_rate=100, observation_domain_id=7, src_addr="10.1.0.1",
                     dst_addr="10.2.0.2", src_port=40000, dst_port=443, proto="TCP", bytes=123456, packets=89,
                     in_if=11, out_if=12, src_as=64500, dst_as=64501,
                     time_flow_start_ns=(now * 1000 - 5123) * 10**6, time_flow_end_ns=(now * 1000 - 10) * 10**6),
  "IPFIX": dict(sampler_address="127.0.0.3", sampling_rate=1000, observation_domain_id=9, src_addr="2001:db8::a",
                dst_addr="2001:db8::b", src_port=53, dst_port=5353, proto="UDP", bytes=4294967296000,
                packets=5000000000, in_if=100000, out_if=4294967295,
                time_flow_start_ns=1763900000123 * 10**6, time_flow_end_ns=1763900005456 * 10**6),
  "SFLOW_5": dict(sampler_address="192.0.2.44", sampling_rate=512, src_addr="10.3.0.1", dst_addr="10.4.0.2",
                  src_port=5000, dst_port=6000, proto="UDP", bytes=1400, packets=1, in_if=31, out_if=32,
                  src_as=65001, dst_as=65002),
}
bad = [(t, k, v, got.get(t, {}).get(k)) for t, w in want.items() for k, v in w.items() if got.get(t, {}).get(k) != v]
if bad:
    sys.exit("mismatch (type, field, sent, got): %r" % bad)
EOF
  log "flowgen: goflow2 decoded v9, IPFIX and sFlow exactly"
  stamp flowgen "$VERSION"
else
  log "flowgen: $PEERS_BIN/goflow2 not there (yet): encoding checked only"
  stamp flowgen "$VERSION-encoded"
fi

report flowgen "$VERSION" "$PEERS_BIN/flowgen"
