#!/usr/bin/env bash
# gnmic: gNMI client and collector (get/set/subscribe, file loader, prometheus output).
#
# Why v0.45.0 and a patched wrapper instead of `go install ...@v0.36.2`:
# the module proxy here serves only some gnmic versions (v0.45.0, v0.46.0,
# v0.47.0; not v0.36.2 nor v0.37-v0.44). All of them `replace` their nested
# modules pkg/api and pkg/cache with ./pkg/..., which a dependent module cannot
# use, so the published pkg/api v0.1.11 and pkg/cache v0.1.3 are compiled
# instead:
#  - v0.46.0/v0.47.0 use pkg/api methods that v0.1.11 lacks (RedactedDeepCopy,
#    slog loggers, ...): not buildable.
#  - v0.45.0 (2026-03-03, a week after pkg/api v0.1.11) lacks exactly one
#    method, Target.SubscribeClientStates (only used for the collector's state
#    API); this script adds it to a copy of pkg/api v0.1.11.
#  - gomplate (a v0.45.0 dependency) needs inet.af/netaddr, which the proxy does
#    not serve; the same module is served under its GitHub path, so it is
#    replaced by github.com/inetaf/netaddr at the same pseudo-version.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

GNMIC_VERSION=v0.45.0
GNMIC_API_VERSION=v0.1.11                              # published github.com/openconfig/gnmic/pkg/api
NETADDR_VERSION=v0.0.0-20230525184311-b8eac61e914a     # inet.af/netaddr, as gnmic v0.45.0's go.sum pins it
RECIPE=$GNMIC_VERSION+api$GNMIC_API_VERSION.1          # bump the suffix when this recipe changes
BIN="$PEERS_BIN/gnmic"

if ! stamped gnmic "$RECIPE" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	log "gnmic $GNMIC_VERSION: building through a wrapper module (cold: 7-13 min on 2 cores)"
	dir=$(gowrap_init gnmic github.com/openconfig/gnmic "$GNMIC_VERSION" github.com/openconfig/gnmic)

	api_src=$(gowrap_moddir github.com/openconfig/gnmic/pkg/api "$GNMIC_API_VERSION")
	cp -R "$api_src" "$dir/api"
	chmod -R u+w "$dir/api"
	cat >"$dir/api/target/helios_shim.go" <<'EOF'
// Added by Helios test/peers/provision/gnmic.sh: gnmic v0.45.0 calls this
// method, which the published pkg/api v0.1.11 lacks. It only feeds the
// per-subscription state shown by the collector's API.
package target

// SubscribeClientStates reports, per configured subscription, whether a
// subscribe client is currently open.
func (t *Target) SubscribeClientStates() map[string]bool {
	t.m.Lock()
	defer t.m.Unlock()
	states := make(map[string]bool, len(t.Subscriptions))
	for name := range t.Subscriptions {
		_, ok := t.SubscribeClients[name]
		states[name] = ok
	}
	return states
}
EOF
	(
		cd "$dir"
		go mod edit \
			-require "github.com/openconfig/gnmic/pkg/api@$GNMIC_API_VERSION" \
			-replace "github.com/openconfig/gnmic/pkg/api=./api" \
			-replace "inet.af/netaddr=github.com/inetaf/netaddr@$NETADDR_VERSION"
	)
	gowrap_build "$dir" github.com/openconfig/gnmic "$BIN" \
		"-X github.com/openconfig/gnmic/pkg/version.Version=${GNMIC_VERSION#v}" \
		"-X github.com/openconfig/gnmic/pkg/version.Commit=module" \
		"-X github.com/openconfig/gnmic/pkg/version.Date=reproducible"
	stamp gnmic "$RECIPE"
	log "gnmic built in $((SECONDS - t0)) s"
fi

"$BIN" version | sed -n 's/^ *version : /gnmic version /p' >&2
report gnmic "$GNMIC_VERSION" "$BIN"
