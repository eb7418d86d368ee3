#!/usr/bin/env bash
# Thanos (one binary: sidecar, store, query, compact, rule, tools) at v0.42.4.
#
# v0.42.4 is the version Helios deploys (constructs/platform/images.ts), and the newest the
# module proxy serves whose `go` line this machine's Go accepts (v0.42.5 needs Go 1.26.10). Thanos's go.mod carries `replace` lines a dependent module does not
# inherit, so the wrapper copies them (without them it does not compile, thanos#5021).
# `-tags slicelabels` is REQUIRED: without it Thanos compiles against Prometheus's
# stringlabels and panics on the first StoreAPI call; `netgo` keeps the binary static.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

THANOS_VERSION=v0.42.4
RECIPE=$THANOS_VERSION+slicelabels
BIN="$PEERS_BIN/thanos"

if ! stamped thanos "$RECIPE" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	log "thanos $THANOS_VERSION: building through a wrapper module (cold: ~10 min on 2 cores)"
	dir=$(gowrap_init thanos github.com/thanos-io/thanos "$THANOS_VERSION" github.com/thanos-io/thanos/cmd/thanos)
	mod=$(go mod download -json "github.com/thanos-io/thanos@$THANOS_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	# The replace block of Thanos's own go.mod, verbatim.
	sed -n '/^replace (/,/^)/p' "$mod" >>"$dir/go.mod"
	(cd "$dir" && go mod edit -go=1.26.0)
	(
		export GOFLAGS="$GOFLAGS -tags=netgo,slicelabels"
		gowrap_build "$dir" github.com/thanos-io/thanos/cmd/thanos "$BIN" $(prom_version_ldflags "$THANOS_VERSION")
	)
	stamp thanos "$RECIPE"
	log "thanos built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report thanos "$THANOS_VERSION" "$BIN"
