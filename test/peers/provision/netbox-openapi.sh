#!/usr/bin/env bash
# NetBox REST API OpenAPI document, from the Go module github.com/netbox-community/go-netbox/v4.
#
# The proxy here refuses the module's version list (403), so "newest" cannot be listed: v4.3.0 is the
# newest version it serves (v4.3.1, v4.4.0 and the -N suffixed tags are refused). It describes NetBox 4.3.0.
#
# Result: $PEERS_DATA/netbox/openapi.yaml (+ netbox_version)
source "$(dirname "$0")/lib.sh"

GO_NETBOX_VERSION=v4.3.0
NETBOX_VERSION=4.3.0              # what api/netbox_version in that module says

OUT="$PEERS_DATA/netbox"
if stamped netbox-openapi "$GO_NETBOX_VERSION" && [ -f "$OUT/openapi.yaml" ]; then
  report netbox-openapi "$NETBOX_VERSION" "$OUT/openapi.yaml"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$(cd "$tmp" && go mod download -json "github.com/netbox-community/go-netbox/v4@$GO_NETBOX_VERSION" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["Error"]) if "Error" in d else print(d["Dir"])')
mkdir -p "$OUT"
install -m 0644 "$dir/api/openapi.yaml" "$OUT/openapi.yaml"
install -m 0644 "$dir/api/netbox_version" "$OUT/netbox_version"

# verify: the version we pinned, and the paths the tests use
[ "$(tr -d '[:space:]' <"$OUT/netbox_version")" = "$NETBOX_VERSION" ] || { log "netbox-openapi: unexpected netbox_version"; exit 1; }
grep -q "^  version: $NETBOX_VERSION" "$OUT/openapi.yaml" || { log "netbox-openapi: info.version is not $NETBOX_VERSION"; exit 1; }
for p in /api/dcim/devices/ /api/dcim/interfaces/ /api/dcim/sites/ /api/status/; do
  grep -q "^  $p:\$" "$OUT/openapi.yaml" || { log "netbox-openapi: $p missing"; exit 1; }
done

stamp netbox-openapi "$GO_NETBOX_VERSION"
report netbox-openapi "$NETBOX_VERSION" "$OUT/openapi.yaml"
