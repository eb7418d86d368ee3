#!/usr/bin/env python3
"""Helios test flow generator: NetFlow v9, IPFIX and sFlow v5 over UDP.

Standard library only (Python >= 3.8). Every field is set explicitly, so a test
can assert that exactly what was sent comes out of the collector.

Input: one JSON document on stdin (or --input FILE): an export, or a list of
exports, or {"target": ..., "exports": [...]}. An export is

  {
    "target":   "127.0.0.1:2055",     # collector; "[::1]:2055" for IPv6 (or --target)
    "exporter": "127.0.0.2",          # UDP source address the socket binds to; any
                                      # 127/8 address works on Linux loopback. goflow2
                                      # reports it as sampler_address for v9/IPFIX.
    "version":  "v9" | "ipfix" | "sflow",
    "sequence": 1,                    # v9: packet count; IPFIX: data records sent before
                                      # this message; sFlow: datagram sequence
    "domain":   0,                    # v9 source_id / IPFIX observation domain id
    "sampling_rate": 0,               # v9/IPFIX: >0 adds an options template + record
                                      # (v9 field 34, IPFIX field 305); sFlow: per sample
    "export_time": 1700000000,        # unix seconds (default: now)
    "uptime_ms": 3600000,             # v9 / sFlow sysUptime (default: reaches back to the oldest start_ms)
    "send_template": true,            # v9/IPFIX: false sends data sets only (goflow2 holds them
                                      # until the template arrives, then decodes them)
    "agent": "192.0.2.1",             # sFlow agent address (default: exporter);
                                      # goflow2 reports THIS as sampler_address for sFlow
    "sub_agent_id": 0,                # sFlow
    "sflow_record": "header",         # sFlow: "header" (Ethernet frame) | "ip" (sampled IPv4/6)
    "flows_per_packet": 20,
    "count": 100000,                  # optional: send this many flows, cycling through "flows";
                                      # the k-th flow sent (k from 0) carries bytes + k, so each one
                                      # can be told apart downstream (losses vs duplicates)
    "flows": [ {
      "src_addr": "10.0.0.1", "dst_addr": "10.0.0.2",   # IPv4 or IPv6 (both the same family)
      "src_port": 1234, "dst_port": 443, "proto": 6,
      "bytes": 1500, "packets": 3,      # sFlow: bytes = frame length; goflow2 reports packets=1
      "in_if": 1, "out_if": 2,
      "tcp_flags": 0, "tos": 0,
      "src_as": 0, "dst_as": 0, "src_mask": 0, "dst_mask": 0,
      "next_hop": "0.0.0.0",
      "start_ms": ..., "end_ms": ...    # unix ms (default: export_time*1000 - 1000 / *1000)
      "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02", "vlan": 0  (sFlow)
    } ]
  }

Output (stdout): one JSON line per datagram sent: {"version","exporter","target","flows","bytes"}.
--dry-run prints the datagrams as hex instead of sending them. --rate N paces the datagrams so the
flows go out at N per second over the whole run (as fast as it can build them when it cannot keep up).
"""

import argparse
import ipaddress
import json
import socket
import struct
import sys
import time

# --------------------------------------------------------------------------- helpers


def ip(addr):
    return ipaddress.ip_address(addr)


def mac(s):
    b = bytes.fromhex(s.replace(":", "").replace("-", ""))
    if len(b) != 6:
        raise ValueError("bad MAC %r" % s)
    return b


def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def parse_target(t):
    if t.startswith("["):
        host, _, port = t[1:].partition("]:")
    else:
        host, _, port = t.rpartition(":")
    return host, int(port)


def flow_defaults(f, export_time):
    g = {
        "src_port": 0, "dst_port": 0, "proto": 6, "bytes": 0, "packets": 1,
        "in_if": 0, "out_if": 0, "tcp_flags": 0, "tos": 0,
        "src_as": 0, "dst_as": 0, "src_mask": 0, "dst_mask": 0,
        "start_ms": export_time * 1000 - 1000, "end_ms": export_time * 1000,
        "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02", "vlan": 0,
    }
    g.update(f)
    for k in ("src_addr", "dst_addr"):
        if k not in g:
            raise ValueError("flow needs %s: %r" % (k, f))
    g["_v6"] = ip(g["src_addr"]).version == 6
    if ip(g["dst_addr"]).version != ip(g["src_addr"]).version:
        raise ValueError("src_addr and dst_addr must be the same family: %r" % f)
    if "next_hop" not in g:
        g["next_hop"] = "::" if g["_v6"] else "0.0.0.0"
    return g


# --------------------------------------------------------------------------- NetFlow v9 / IPFIX
# (IE id, length, getter). IE numbers are shared by v9 and IPFIX.
U8, U16, U32, U64 = (lambda v: struct.pack("!B", v)), (lambda v: struct.pack("!H", v)), \
    (lambda v: struct.pack("!I", v)), (lambda v: struct.pack("!Q", v))


def fields_common(v6):
    fs = [
        (1, 8, lambda f, c: U64(f["bytes"])),          # IN_BYTES / octetDeltaCount
        (2, 8, lambda f, c: U64(f["packets"])),        # IN_PKTS / packetDeltaCount
        (4, 1, lambda f, c: U8(f["proto"])),           # PROTOCOL
        (5, 1, lambda f, c: U8(f["tos"])),             # SRC_TOS
        (6, 1, lambda f, c: U8(f["tcp_flags"])),       # TCP_FLAGS
        (7, 2, lambda f, c: U16(f["src_port"])),       # L4_SRC_PORT
        (11, 2, lambda f, c: U16(f["dst_port"])),      # L4_DST_PORT
        (10, 4, lambda f, c: U32(f["in_if"])),         # INPUT_SNMP / ingressInterface
        (14, 4, lambda f, c: U32(f["out_if"])),        # OUTPUT_SNMP / egressInterface
        (16, 4, lambda f, c: U32(f["src_as"])),        # SRC_AS
        (17, 4, lambda f, c: U32(f["dst_as"])),        # DST_AS
    ]
    if v6:
        fs += [
            (27, 16, lambda f, c: ip(f["src_addr"]).packed),   # IPV6_SRC_ADDR
            (28, 16, lambda f, c: ip(f["dst_addr"]).packed),   # IPV6_DST_ADDR
            (29, 1, lambda f, c: U8(f["src_mask"])),           # IPV6_SRC_MASK
            (30, 1, lambda f, c: U8(f["dst_mask"])),           # IPV6_DST_MASK
            (62, 16, lambda f, c: ip(f["next_hop"]).packed),   # IPV6_NEXT_HOP
        ]
    else:
        fs += [
            (8, 4, lambda f, c: ip(f["src_addr"]).packed),     # IPV4_SRC_ADDR
            (12, 4, lambda f, c: ip(f["dst_addr"]).packed),    # IPV4_DST_ADDR
            (9, 1, lambda f, c: U8(f["src_mask"])),            # SRC_MASK
            (13, 1, lambda f, c: U8(f["dst_mask"])),           # DST_MASK
            (15, 4, lambda f, c: ip(f["next_hop"]).packed),    # IPV4_NEXT_HOP
        ]
    return fs


def fields_v9(v6):
    # FIRST/LAST_SWITCHED are sysUptime (ms) at the flow's first/last packet.
    def sw(key):
        return lambda f, c: U32((c["uptime_ms"] - (c["export_time"] * 1000 - f[key])) & 0xFFFFFFFF)
    return fields_common(v6) + [(22, 4, sw("start_ms")), (21, 4, sw("end_ms"))]


def fields_ipfix(v6):
    return fields_common(v6) + [
        (152, 8, lambda f, c: U64(f["start_ms"])),   # flowStartMilliseconds
        (153, 8, lambda f, c: U64(f["end_ms"])),     # flowEndMilliseconds
    ]


TPL_V4, TPL_V6, TPL_OPT = 256, 257, 258


def template_record(tid, fields):
    return struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", i, l) for i, l, _ in fields)


def data_set(tid, fields, flows, ctx):
    body = b"".join(b"".join(g(f, ctx) for _, _, g in fields) for f in flows)
    return pad4(struct.pack("!HH", tid, 0) + body)


def fix_len(s):
    return s[:2] + struct.pack("!H", len(s)) + s[4:]


def build_netflow(exp, flows, seq):
    v9 = exp["version"] == "v9"
    ctx = exp
    fdef = fields_v9 if v9 else fields_ipfix
    groups = [(TPL_V4, fdef(False), [f for f in flows if not f["_v6"]]),
              (TPL_V6, fdef(True), [f for f in flows if f["_v6"]])]
    groups = [g for g in groups if g[2]]
    sets, count = [], 0
    if exp.get("send_template", True):
        tset = struct.pack("!HH", 0 if v9 else 2, 0) + b"".join(template_record(t, fs) for t, fs, _ in groups)
        sets.append(fix_len(tset))
        count += len(groups)
    rate = exp.get("sampling_rate", 0)
    if rate:
        if v9:
            # options template: scope System(1) len 4; option SAMPLING_INTERVAL(34) len 4, SAMPLING_ALGORITHM(35) len 1
            ot = struct.pack("!HHH", TPL_OPT, 4, 8) + struct.pack("!HH", 1, 4) + struct.pack("!HHHH", 34, 4, 35, 1)
            sets.append(fix_len(pad4(struct.pack("!HH", 1, 0) + ot)))
            od = struct.pack("!HH", TPL_OPT, 0) + struct.pack("!I", 0) + struct.pack("!IB", rate, 1)
        else:
            # options template: scope observationDomainId(149) len 4; samplingPacketInterval(305) len 4
            ot = struct.pack("!HHH", TPL_OPT, 2, 1) + struct.pack("!HHHH", 149, 4, 305, 4)
            sets.append(fix_len(pad4(struct.pack("!HH", 3, 0) + ot)))
            od = struct.pack("!HH", TPL_OPT, 0) + struct.pack("!II", exp["domain"], rate)
        sets.append(fix_len(pad4(od)))
        count += 2
    for tid, fs, fl in groups:
        sets.append(fix_len(data_set(tid, fs, fl, ctx)))
        count += len(fl)
    body = b"".join(sets)
    if v9:
        hdr = struct.pack("!HHIIII", 9, count, exp["uptime_ms"] & 0xFFFFFFFF, exp["export_time"], seq, exp["domain"])
    else:
        hdr = struct.pack("!HHIII", 10, 16 + len(body), exp["export_time"], seq, exp["domain"])
    return hdr + body


# --------------------------------------------------------------------------- sFlow v5


def ip_checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def sampled_frame(f):
    """Ethernet [+802.1Q] + IPv4/IPv6 + TCP/UDP header; lengths claim f['bytes'] on the wire."""
    l4 = b""
    if f["proto"] == 6:
        l4 = struct.pack("!HHIIBBHHH", f["src_port"], f["dst_port"], 1, 0, 5 << 4, f["tcp_flags"] & 0xFF, 65535, 0, 0)
    elif f["proto"] == 17:
        l4 = struct.pack("!HHHH", f["src_port"], f["dst_port"], 0, 0)
    eth_len = 14 + (4 if f["vlan"] else 0)
    if f["_v6"]:
        ethertype = 0x86DD
        plen = max(f["bytes"] - eth_len - 40, 0)
        l3 = struct.pack("!IHBB", (6 << 28) | (f["tos"] << 20), plen, f["proto"], 64) + \
            ip(f["src_addr"]).packed + ip(f["dst_addr"]).packed
    else:
        ethertype = 0x0800
        tot = max(f["bytes"] - eth_len, 20 + len(l4)) & 0xFFFF
        h = struct.pack("!BBHHHBBH4s4s", 0x45, f["tos"], tot, 1, 0, 64, f["proto"], 0,
                        ip(f["src_addr"]).packed, ip(f["dst_addr"]).packed)
        l3 = h[:10] + struct.pack("!H", ip_checksum(h)) + h[12:]
    eth = mac(f["dst_mac"]) + mac(f["src_mac"])
    if f["vlan"]:
        eth += struct.pack("!HH", 0x8100, f["vlan"] & 0x0FFF)
    eth += struct.pack("!H", ethertype)
    return eth + l3 + l4


def sflow_record(fmt, data):
    data = pad4(data)   # XDR: the record length counts the padding
    return struct.pack("!II", fmt, len(data)) + data


def build_sflow(exp, flows, seq):
    agent = ip(exp.get("agent") or exp["exporter"])
    samples = []
    for n, f in enumerate(flows):
        recs = []
        if exp.get("sflow_record", "header") == "header":
            frame = sampled_frame(f)
            frame_len = max(f["bytes"], len(frame))
            # sampled header: protocol 1 (ethernet), frame_length, stripped, header_length, header
            recs.append(sflow_record(1, struct.pack("!IIII", 1, frame_len, 0, len(frame)) + frame))
        elif f["_v6"]:
            recs.append(sflow_record(4, struct.pack("!II", f["bytes"], f["proto"]) + ip(f["src_addr"]).packed +
                                     ip(f["dst_addr"]).packed + struct.pack("!IIII", f["src_port"], f["dst_port"],
                                                                            f["tcp_flags"], f["tos"])))
        else:
            recs.append(sflow_record(3, struct.pack("!II", f["bytes"], f["proto"]) + ip(f["src_addr"]).packed +
                                     ip(f["dst_addr"]).packed + struct.pack("!IIII", f["src_port"], f["dst_port"],
                                                                            f["tcp_flags"], f["tos"])))
        if f["vlan"]:
            recs.append(sflow_record(1001, struct.pack("!IIII", f["vlan"], 0, f["vlan"], 0)))  # extended switch
        if f["src_mask"] or f["dst_mask"] or f.get("next_hop") not in ("0.0.0.0", "::"):
            nh = ip(f["next_hop"])
            recs.append(sflow_record(1002, struct.pack("!I", 1 if nh.version == 4 else 2) + nh.packed +
                                     struct.pack("!II", f["src_mask"], f["dst_mask"])))  # extended router
        if f["src_as"] or f["dst_as"]:
            nh = ip(f["next_hop"])
            # extended gateway: next hop, as (router's own), src_as, src_peer_as, one AS_SEQUENCE [dst_as], communities 0, localpref
            path = struct.pack("!III", 2, 1, f["dst_as"]) if f["dst_as"] else b""
            recs.append(sflow_record(1003, struct.pack("!I", 1 if nh.version == 4 else 2) + nh.packed +
                                     struct.pack("!III", f["src_as"], f["src_as"], 0) +
                                     struct.pack("!I", 1 if path else 0) + path + struct.pack("!II", 0, 0)))
        rate = f.get("sampling_rate", exp.get("sampling_rate", 0)) or 1
        body = struct.pack("!IIIIIII", seq * 1000 + n, (0 << 24) | (f["in_if"] & 0xFFFFFF), rate, rate * (n + 1),
                           0, f["in_if"], f["out_if"]) + struct.pack("!I", len(recs)) + b"".join(recs)
        samples.append(struct.pack("!II", 1, len(body)) + body)   # enterprise 0, format 1: flow sample
    hdr = struct.pack("!II", 5, 1 if agent.version == 4 else 2) + agent.packed + \
        struct.pack("!IIII", exp.get("sub_agent_id", 0), seq, exp["uptime_ms"] & 0xFFFFFFFF, len(samples))
    return hdr + b"".join(samples)


# --------------------------------------------------------------------------- driver


def normalise(doc, target_override):
    if isinstance(doc, dict) and "exports" in doc:
        base = {k: v for k, v in doc.items() if k != "exports"}
        exports = [dict(base, **e) for e in doc["exports"]]
    elif isinstance(doc, list):
        exports = doc
    else:
        exports = [doc]
    now = int(time.time())
    out = []
    for e in exports:
        e = dict(e)
        if target_override:
            e["target"] = target_override
        if "target" not in e:
            raise ValueError("no target: give --target or \"target\"")
        e.setdefault("exporter", "127.0.0.1")
        e["version"] = {"9": "v9", "nf9": "v9", "netflow9": "v9", "10": "ipfix", "v10": "ipfix",
                        "sflow5": "sflow", "v5": "sflow"}.get(str(e.get("version", "v9")).lower(),
                                                            str(e.get("version", "v9")).lower())
        if e["version"] not in ("v9", "ipfix", "sflow"):
            raise ValueError("version must be v9, ipfix or sflow: %r" % e["version"])
        e.setdefault("export_time", now)
        e["flows"] = [flow_defaults(f, e["export_time"]) for f in e.get("flows", [])]
        if "uptime_ms" not in e:
            # v9 FIRST/LAST_SWITCHED are relative to sysUptime: make it reach back to the oldest flow
            oldest = min([f["start_ms"] for f in e["flows"]] + [e["export_time"] * 1000])
            e["uptime_ms"] = max(3600000, e["export_time"] * 1000 - oldest + 60000)
        if e["version"] == "v9" and e["uptime_ms"] > 0xFFFFFFFF:
            raise ValueError("v9 cannot express a flow start more than 49 days before export_time")
        e.setdefault("domain", 0)
        out.append(e)
    return out


def chunks_of(e, per):
    """The export's flows in datagram-sized lists; with "count", numbered copies built as they are sent."""
    flows = e["flows"]
    if "count" not in e:
        return [flows[i:i + per] for i in range(0, len(flows), per)] or [[]]
    count = int(e["count"])
    if count < 0 or not flows:
        raise ValueError("count must be >= 0 with at least one flow to cycle through: got count %r and %d flows"
                         % (e["count"], len(flows)))
    n = len(flows)
    return ([dict(flows[k % n], bytes=flows[k % n]["bytes"] + k) for k in range(i, min(i + per, count))]
            for i in range(0, count, per))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", help="collector host:port (overrides the JSON)")
    ap.add_argument("--input", help="read the JSON from this file instead of stdin")
    ap.add_argument("--dry-run", action="store_true", help="print datagrams as hex, send nothing")
    ap.add_argument("--interval", type=float, default=0.0, help="seconds between datagrams")
    ap.add_argument("--rate", type=float, default=0.0, help="flows per second over the whole run (0: no pacing)")
    a = ap.parse_args()
    if a.rate < 0:
        ap.error("--rate must be >= 0 flows per second, got %r" % a.rate)
    doc = json.load(open(a.input) if a.input else sys.stdin)
    socks = {}
    exports = normalise(doc, a.target)
    started, sent = time.monotonic(), 0
    try:
        for e in exports:
            host, port = parse_target(e["target"])
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            per = int(e.get("flows_per_packet", 20))
            seq = int(e.get("sequence", 1 if e["version"] != "ipfix" else 0))
            for chunk in chunks_of(e, per):
                if e["version"] == "sflow":
                    pkt = build_sflow(e, chunk, seq)
                    seq += 1
                else:
                    pkt = build_netflow(e, chunk, seq)
                    seq += len(chunk) if e["version"] == "ipfix" else 1
                if a.dry_run:
                    print(json.dumps({"version": e["version"], "hex": pkt.hex()}))
                    continue
                key = (fam, e["exporter"])
                if key not in socks:
                    s = socket.socket(fam, socket.SOCK_DGRAM)
                    s.bind((e["exporter"], 0))
                    socks[key] = s
                if a.rate:
                    ahead = started + sent / a.rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                socks[key].sendto(pkt, (host, port))
                sent += len(chunk)
                print(json.dumps({"version": e["version"], "exporter": e["exporter"], "target": e["target"],
                                  "flows": len(chunk), "bytes": len(pkt)}))
                if a.interval:
                    time.sleep(a.interval)
    finally:
        for s in socks.values():
            s.close()


if __name__ == "__main__":
    main()
