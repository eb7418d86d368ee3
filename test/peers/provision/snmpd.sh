#!/usr/bin/env bash
# snmpd (Net-SNMP agent) and the snmpget/snmpwalk clients, from Debian's
# packages, unpacked with `dpkg -x` into $PEERS_SRC/snmpd (nothing is
# installed system-wide, no service is started). Launchers in $PEERS_BIN set
# LD_LIBRARY_PATH to the unpacked libraries, point MIB lookups at the unpacked
# tree (Debian ships no IF-MIB text: the sample config uses numeric OIDs) and
# keep the persistent state out of /var/lib/snmp.
#
# Run as any user on a high loopback port (the address argument overrides
# agentAddress; -I -smux skips the SMUX listener on privileged port 199):
#   $PEERS_BIN/snmpd -f -Lo -C -c $PEERS_DATA/snmpd/snmpd.conf -I -smux udp:127.0.0.1:16161
#   $PEERS_BIN/snmpwalk -v2c -c public -On 127.0.0.1:16161 .1.3.6.1.2.1.31.1.1.1.6
# The agent serves this machine's real interfaces (lo, eth0, ...).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SNMPD_DEB_VERSION=5.9.3+dfsg-2+deb12u1   # Debian 12 (bookworm) snmpd
# snmpd/snmp/libsnmp40/libsnmp-base share the source version; libpci3 and
# libwrap0 are the libraries a fresh machine lacks (libssl3, libperl5.36,
# libsensors5 ship with the image; the ldd check below catches any gap).
PKGS=(snmpd snmp libsnmp40 libsnmp-base)
LIBPKGS=(libpci3 libwrap0)
ROOT="$PEERS_SRC/snmpd/root"
CONF="$PEERS_DATA/snmpd/snmpd.conf"

apt_download() { # apt_download DIR PKG[=VER]...: fetch .debs without installing them
	local dir=$1
	shift
	_get() { (cd "$dir" && apt-get download -q "$@" 2>&1 | { grep -v 'unsandboxed as root' || true; } >&2); }
	_get "$@" && return 0
	[ "$(id -u)" = 0 ] || { log "apt-get download failed (package lists missing? run apt-get update as root)"; return 1; }
	log "apt-get download failed: refreshing package lists (apt-get update) and retrying"
	apt-get update -qq
	_get "$@" && return 0
	log "pinned versions unavailable; falling back to the current Debian candidates"
	_get "${@%%=*}"
}

if ! stamped snmpd "$SNMPD_DEB_VERSION" || [ ! -x "$PEERS_BIN/snmpd" ]; then
	t0=$SECONDS
	debs="$PEERS_SRC/snmpd/debs"
	rm -rf "$debs" "$ROOT"
	mkdir -p "$debs" "$ROOT"
	pinned=()
	for p in "${PKGS[@]}"; do pinned+=("$p=$SNMPD_DEB_VERSION"); done
	apt_download "$debs" "${pinned[@]}" "${LIBPKGS[@]}"
	for d in "$debs"/*.deb; do dpkg -x "$d" "$ROOT"; done
	libdir="$ROOT/usr/lib/x86_64-linux-gnu"
	if LD_LIBRARY_PATH="$libdir" ldd "$ROOT/usr/sbin/snmpd" "$ROOT/usr/bin/snmpget" | grep 'not found'; then
		log "snmpd: libraries missing (above); add their Debian packages to LIBPKGS"
		exit 1
	fi
	for tool in snmpd:usr/sbin/snmpd snmpget:usr/bin/snmpget snmpwalk:usr/bin/snmpwalk snmpbulkwalk:usr/bin/snmpbulkwalk; do
		cat >"$PEERS_BIN/${tool%%:*}" <<EOF
#!/bin/sh
# Launcher written by test/peers/provision/snmpd.sh (Debian $SNMPD_DEB_VERSION unpacked in $ROOT).
export LD_LIBRARY_PATH="$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export MIBDIRS="\${MIBDIRS:-$ROOT/usr/share/snmp/mibs}"
export MIBS="\${MIBS-}"
export SNMP_PERSISTENT_DIR="\${SNMP_PERSISTENT_DIR:-\${TMPDIR:-/tmp}/helios-snmp-\$(id -u)}"
exec "$ROOT/${tool#*:}" "\$@"
EOF
		chmod 755 "$PEERS_BIN/${tool%%:*}"
	done
	stamp snmpd "$SNMPD_DEB_VERSION"
	log "snmpd unpacked in $((SECONDS - t0)) s"
fi

# The sample agent config is rewritten whenever this script's copy differs.
mkdir -p "$(dirname "$CONF")"
cat >"$CONF.tmp" <<'EOF'
# Helios test agent. Start it with the listening address on the command line:
#   snmpd -f -Lo -C -c snmpd.conf -I -smux udp:127.0.0.1:16161
# Read-only SNMPv2c community "public" from loopback, limited to the view "helios":
#   .1.3.6.1.2.1.1   SNMPv2-MIB system: sysDescr, sysUpTime.0 (.1.3.6.1.2.1.1.3.0), sysName
#   .1.3.6.1.2.1.2   IF-MIB ifNumber and ifTable: ifDescr, ifOperStatus, ifInOctets, ...
#   .1.3.6.1.2.1.31  IF-MIB ifMIB with ifXTable: ifName, ifHCInOctets (.1.3.6.1.2.1.31.1.1.1.6), ifHighSpeed, ifAlias
# No comment may follow a directive on its line: snmpd reads it as one more argument.
view   helios  included  .1.3.6.1.2.1.1
view   helios  included  .1.3.6.1.2.1.2
view   helios  included  .1.3.6.1.2.1.31
rocommunity public 127.0.0.1 -V helios
sysName     helios-snmpd
sysLocation helios-test
sysContact  helios@example.invalid
dontLogTCPWrappersConnects yes
EOF
if cmp -s "$CONF.tmp" "$CONF"; then rm -f "$CONF.tmp"; else mv -f "$CONF.tmp" "$CONF"; fi

"$PEERS_BIN/snmpd" -v | sed -n 's/^NET-SNMP version: */snmpd (NET-SNMP) /p' >&2
report snmpd "$SNMPD_DEB_VERSION" "$PEERS_BIN/snmpd"
