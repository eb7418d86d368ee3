#!/usr/bin/env bash
# gNMI target: google/gnxi gnmi_target, an in-memory OpenConfig device serving
# Capabilities, Get, Set and Subscribe (ONCE, STREAM/SAMPLE; not POLL nor
# ON_CHANGE). Models: openconfig-interfaces 2.0.0, -openflow 0.1.0,
# -platform 0.5.0, -system 0.2.0 (JSON and JSON_IETF encodings).
#
# Limits worth knowing in tests:
#  - no wildcards: paths need explicit keys (interface[name=Ethernet1]); a
#    keyless /interfaces/interface/... or [name=*] is NotFound. Subscribing to
#    /interfaces (the whole container) works and streams every leaf.
#  - values never change by themselves: bump a counter with a Set, e.g.
#    gnmic set --update '/interfaces/interface[name=Ethernet1]/state/counters/in-octets:::string:::5000000'
#    (uint64 leaves must be sent as strings, or as JSON_IETF {"in-octets":"5000000"}).
#
# Pinned pseudo-version: the newest gnxi revision the module proxy serves (its
# HEAD f34a75d of 2025-05 is not served). `go install ...@latest` fails here:
# the proxy refuses gnxi's version list, hence the wrapper (see lib-go.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

GNXI_VERSION=v0.0.0-20231026134436-d82d9936af15
BIN="$PEERS_BIN/gnmi_target"
CONFIG="$PEERS_DATA/gnmi-target/interfaces.json"

if ! stamped gnmi-target "$GNXI_VERSION" || [ ! -x "$BIN" ] || [ ! -f "$CONFIG" ]; then
	t0=$SECONDS
	dir=$(gowrap_init gnmi-target github.com/google/gnxi "$GNXI_VERSION" github.com/google/gnxi/gnmi_target)
	gowrap_build "$dir" github.com/google/gnxi/gnmi_target "$BIN"
	mkdir -p "$(dirname "$CONFIG")"
	# Startup config (RFC 7951 JSON, uint64 as strings): Ethernet1-4 with config
	# and state, counters differing per port; Ethernet4 admin/oper DOWN.
	{
		printf '{\n "openconfig-interfaces:interfaces": {\n  "interface": [\n'
		for i in 1 2 3 4; do
			if [ "$i" = 4 ]; then en=false st=DOWN; else en=true st=UP; fi
			[ "$i" = 1 ] || printf ',\n'
			cat <<EOF
   {
    "name": "Ethernet$i",
    "config": {"name": "Ethernet$i", "description": "helios test port $i", "enabled": $en, "mtu": 9100},
    "state": {
     "name": "Ethernet$i", "description": "helios test port $i", "enabled": $en, "ifindex": $i, "mtu": 9100,
     "admin-status": "$st", "oper-status": "$st",
     "counters": {
      "in-octets": "$((i * 1000000))", "out-octets": "$((i * 2000000))",
      "in-pkts": "$((i * 1000))", "out-pkts": "$((i * 2000))",
      "in-unicast-pkts": "$((i * 1000))", "out-unicast-pkts": "$((i * 2000))",
      "in-errors": "$((i - 1))", "out-errors": "0", "in-discards": "0", "out-discards": "0"
     }
    }
   }
EOF
		done
		printf '  ]\n },\n "openconfig-system:system": {"config": {"hostname": "helios-gnmi-target"}}\n}\n'
	} >"$CONFIG"
	python3 -m json.tool "$CONFIG" >/dev/null
	stamp gnmi-target "$GNXI_VERSION"
	log "gnmi_target built in $((SECONDS - t0)) s; config $CONFIG"
fi

# gnmi_target has no version flag; its usage text lists the served models.
"$BIN" -help 2>&1 | sed -n '1,/^$/p' | sed '/^$/d' >&2 || true
log "run: $BIN -bind_address 127.0.0.1:PORT -notls -config $CONFIG -logtostderr"
report gnmi-target "gnxi@${GNXI_VERSION##*-}" "$BIN"
