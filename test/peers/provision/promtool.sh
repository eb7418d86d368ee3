#!/usr/bin/env bash
# promtool (`check rules`, `test rules`, `check config`) from Debian 12's
# prometheus package: only /usr/bin/promtool is taken out of the .deb (~19 MB
# download, a few seconds), nothing is installed.
#
# Why not `go install`: every v0.300-v0.314 prometheus module carries
# exclude/replace directives, and a wrapper build of promtool compiles every
# service-discovery SDK (AWS, Azure, GCE, Kubernetes...), many minutes on 2
# cores. Debian's 2.42 is Prometheus 2.x: rule files and `promtool test rules`
# files written for it also run on 3.x's promtool, but 3.x-only PromQL
# (UTF-8 quoted names, new functions) is rejected, and 3.x evaluates range
# selectors left-open, which can shift a boundary sample in a test.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1   # Debian 12 (bookworm) prometheus
BIN="$PEERS_BIN/promtool"

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

if ! stamped promtool "$PROMETHEUS_DEB_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	debs="$PEERS_SRC/promtool/debs"
	rm -rf "$debs"
	mkdir -p "$debs"
	apt_download "$debs" "prometheus=$PROMETHEUS_DEB_VERSION"
	dpkg-deb --fsys-tarfile "$debs"/prometheus_*.deb | tar -xO ./usr/bin/promtool >"$BIN.tmp"
	chmod 755 "$BIN.tmp"
	mv -f "$BIN.tmp" "$BIN"
	rm -rf "$debs"   # the .deb is 19 MB and only promtool is used
	stamp promtool "$PROMETHEUS_DEB_VERSION"
	log "promtool extracted in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report promtool "$PROMETHEUS_DEB_VERSION" "$BIN"
