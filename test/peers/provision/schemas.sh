#!/usr/bin/env bash
# The upstream schemas the tests validate against and `npm run import` generates imports/ from,
# each taken at a pinned version from the Go module proxy (the module zips carry the YAML and the
# OpenAPI document) and checked against a pinned sha256 before anything is extracted.
#
# Schemas no registry serves (External Secrets, Strimzi, the Altinity operator, Grafana's dashboard
# JSON schemas) are not fetched here: test/schema-sources.ts reads them from HELIOS_UNPUBLISHED_SCHEMAS.
#
# Result: $HELIOS_PEERS_CACHE/schemas/<set>/ (the CRD files) and
#         $HELIOS_PEERS_CACHE/schemas/k8s/v1.31.0/_definitions.json; one summary line per set.
source "$(dirname "$0")/lib.sh"

OUT="$HELIOS_PEERS_CACHE/schemas"
ZIPS="$PEERS_SRC/schemas"
PROXY="$(go env GOPROXY 2>/dev/null | cut -d, -f1)"
case "$PROXY" in http*) ;; *) PROXY=https://proxy.golang.org ;; esac

# set | module | version | sha256 of the module zip (its Go h1 hash in the comment) | folder in the module | files
# Argo CD is v3.6.0 (not v3.4.x): its Application CRD is the one Helios's imports were generated from;
# v3.6.0's go.mod asks for Go >= 1.27, which `go mod download` refuses to unpack, so the zip is read directly.
SETS=(
  # h1:AohlYJT+En8TmNpAcEUJ3GsaJTAqfEBwHmGTVpRm/Io=
  "prometheus-operator|github.com/prometheus-operator/prometheus-operator|v0.93.0|0975ee36a65fb70c6e16f7e0553e21c94f7e25323fef62857d428e62fd3abf11|example/prometheus-operator-crd|monitoring.coreos.com_alertmanagerconfigs.yaml monitoring.coreos.com_alertmanagers.yaml monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_probes.yaml monitoring.coreos.com_prometheusagents.yaml monitoring.coreos.com_prometheuses.yaml monitoring.coreos.com_prometheusrules.yaml monitoring.coreos.com_scrapeconfigs.yaml monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_thanosrulers.yaml"
  # h1:nagGlvbbk58cvQLplUD2uoKXaNazgfB0LdRk4PuJZl4=
  "argo-cd|github.com/argoproj/argo-cd/v3|v3.6.0|21595040aa5728f76e91999eff06ff6bf8cc812e269838504d01cd96e5c2d425|manifests/crds|application-crd.yaml applicationset-crd.yaml appproject-crd.yaml"
  # h1:mock6phZbI6rvZerwrVNk7hVNymQgHo+6sJ81Ia7ftY= (standard channel)
  "gateway-api|sigs.k8s.io/gateway-api|v1.6.1|cbedb5752da4817b0aa55ddf03b19903b3016083f4583b926b4d26e537d82591|config/crd/standard|gateway.networking.k8s.io_gatewayclasses.yaml gateway.networking.k8s.io_gateways.yaml gateway.networking.k8s.io_grpcroutes.yaml gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_referencegrants.yaml"
  # h1:0LttV37Q5c2CBNoHkjuI8sLKTXWZDC2SwQkxrBMKV9w=
  "cert-manager|github.com/cert-manager/cert-manager|v1.21.1|9e1cb1c460e729f5806a08a70014d58bdb2913ccd03a2abd14897960a2515039|deploy/crds|cert-manager.io_certificates.yaml cert-manager.io_clusterissuers.yaml cert-manager.io_issuers.yaml"
  # h1:sYAB12TTWexXKp4RxqJMm/7EC+P0mNOgn4Xdj5eu7HM=
  "k8s|k8s.io/kubernetes|v1.31.0|aa0d52efd9dc33a0394f5f7d53d992800f4a57785208dd604acd003a1e0e20fd|api/openapi-spec|swagger.json"
)

# fetch <module> <version> <sha256> -> path of the verified zip (reuses Go's module cache when it holds it)
fetch() {
  local module="$1" version="$2" sha="$3" zip cached
  zip="$ZIPS/$(echo "$module" | tr / _)@$version.zip"
  [ -f "$zip" ] && echo "$sha  $zip" | sha256sum -c --status && { echo "$zip"; return; }
  mkdir -p "$ZIPS"
  cached="$(go env GOMODCACHE 2>/dev/null)/cache/download/$module/@v/$version.zip"
  if [ -f "$cached" ] && echo "$sha  $cached" | sha256sum -c --status; then
    cp "$cached" "$zip.part"
  else
    curl -fsSL --retry 3 -o "$zip.part" "$PROXY/$module/@v/$version.zip"
  fi
  echo "$sha  $zip.part" | sha256sum -c --status || { log "schemas: $module@$version: sha256 is not the pinned $sha"; rm -f "$zip.part"; exit 1; }
  mv "$zip.part" "$zip"
  echo "$zip"
}

# extract <zip> <prefix in zip> <dest> <files...>: exactly these files, or nothing
extract() {
  python3 - "$@" <<'EOF'
import os, sys, zipfile
zip_path, prefix, dest, *files = sys.argv[1:]
with zipfile.ZipFile(zip_path) as z:
    missing = [f for f in files if f'{prefix}/{f}' not in z.namelist()]
    if missing:
        sys.exit(f'{zip_path}: missing {", ".join(missing)} under {prefix}/')
    os.makedirs(dest, exist_ok=True)
    for f in files:
        with open(os.path.join(dest, f), 'wb') as out:
            out.write(z.read(f'{prefix}/{f}'))
EOF
}

# The Kubernetes definitions in the JSON-schema form the validator reads (the form cdk8s's
# kubernetes-schemas publish as _definitions.json): each kind's `kind` property is closed to its
# name, and IntOrString and Quantity accept both of their JSON forms.
k8s_definitions() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
defs = json.load(open(sys.argv[1]))['definitions']
for d in defs.values():
    gvks = d.get('x-kubernetes-group-version-kind')
    kind = d.get('properties', {}).get('kind')
    if gvks and kind is not None:
        kind['enum'] = [gvks[0]['kind']]
defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = {'oneOf': [{'type': 'string'}, {'type': 'integer'}]}
defs['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {'oneOf': [{'type': 'string'}, {'type': 'number'}]}
with open(sys.argv[2], 'w') as out:
    out.write(json.dumps({'definitions': defs}, indent=2))
EOF
}

for entry in "${SETS[@]}"; do
  IFS='|' read -r set module version sha prefix files <<<"$entry"
  if [ "$set" = k8s ]; then dest="$OUT/k8s/${version}"; else dest="$OUT/$set"; fi
  if ! { stamped "schemas-$set" "$version-${sha:0:12}" && [ -d "$dest" ]; }; then
    zip=$(fetch "$module" "$version" "$sha")
    tmp=$(mktemp -d)
    # shellcheck disable=SC2086
    extract "$zip" "$module@$version/$prefix" "$tmp/files" $files
    if [ "$set" = k8s ]; then
      k8s_definitions "$tmp/files/swagger.json" "$tmp/_definitions.json"
      rm -rf "$dest" && mkdir -p "$dest" && mv "$tmp/_definitions.json" "$dest/"
    else
      rm -rf "$dest" && mkdir -p "$(dirname "$dest")" && mv "$tmp/files" "$dest"
    fi
    rm -rf "$tmp"
    stamp "schemas-$set" "$version-${sha:0:12}"
  fi
  report "schemas/$set" "$version" "$dest (Go module $module@$version, $prefix/)"
done

# The sets no registry serves: listed so the summary names every set; test/schema-sources.ts has
# their files and upstream sources (a test keeps these lines in step with it).
UNPUBLISHED=(
  "strimzi|1.2.x|crds/strimzi"
  "clickhouse-operator|0.25.6|crds/clickhouse-operator"
  "external-secrets|v2.9.0|crds/external-secrets"
  "grafana|v0.0.19|schemas/grafana"
)
root=$(realpath -m "${HELIOS_UNPUBLISHED_SCHEMAS:-$(dirname "$0")/../../../../shared}")
for entry in "${UNPUBLISHED[@]}"; do
  IFS='|' read -r set version folder <<<"$entry"
  if [ -d "$root/$folder" ]; then found=found; else found=MISSING; fi
  report "schemas/$set" "$version" "\$HELIOS_UNPUBLISHED_SCHEMAS/$folder, $found in $root (no registry serves it)"
done
