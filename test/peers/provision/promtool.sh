#!/usr/bin/env bash
# promtool (`check rules`, `test rules`, `check config`) from Debian 12's
# prometheus package: only /usr/bin/promtool is taken out of the .deb (~19 MB
# download, a few seconds), nothing is installed.
#
# Debian's is Prometheus 2.42: 3.x-only PromQL (quoted UTF-8 names, new
# functions) is rejected, and 3.x evaluates range selectors left-open, which
# can shift a boundary sample in a rule test.
#
# HELIOS_PROMTOOL_FROM=go builds Prometheus 3's promtool instead:
# `go install .../cmd/promtool@v0.316.0` (= 3.16.0) works as is (v0.316.0 has
# no replace/exclude; v0.300-v0.314 do), but compiles every service-discovery
# SDK: ~8.5 min on 2 cores and an 88 MB binary, against ~3 s for the .deb.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1   # Debian 12 (bookworm) prometheus
PROMETHEUS_GO_VERSION=v0.316.0               # module tag of Prometheus 3.16.0, for HELIOS_PROMTOOL_FROM=go
FROM=${HELIOS_PROMTOOL_FROM:-deb}
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

if [ "$FROM" = go ]; then
	if ! stamped promtool "go-$PROMETHEUS_GO_VERSION" || [ ! -x "$BIN" ]; then
		t0=$SECONDS
		m=${PROMETHEUS_GO_VERSION#v0.}   # 316.0
		v=${m:0:1}.${m:1}                # 3.16.0
		p=github.com/prometheus/common/version
		GOBIN="$PEERS_BIN" CGO_ENABLED=0 go install -trimpath \
			-ldflags "-s -w -X $p.Version=$v -X $p.Revision=module-$PROMETHEUS_GO_VERSION -X $p.Branch=HEAD" \
			"github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_GO_VERSION"
		stamp promtool "go-$PROMETHEUS_GO_VERSION"
		log "promtool built in $((SECONDS - t0)) s"
	fi
	"$BIN" --version 2>&1 | head -1 >&2
	report promtool "$PROMETHEUS_GO_VERSION" "$BIN"
	exit 0
fi

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
