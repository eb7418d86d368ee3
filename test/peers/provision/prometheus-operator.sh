#!/usr/bin/env bash
# prometheus-operator (cmd/operator) at v0.93.0, the version of the CRDs Helios validates against
# (../shared/crds, README prerequisites). The tests run it against the harness's kube-apiserver to
# turn Helios's Prometheus/ServiceMonitor/.../AlertmanagerConfig objects into the generated
# `prometheus-<name>` and Alertmanager config Secrets (no kubelet: the StatefulSets never run).
#   prometheus-operator --kubeconfig=k.yaml --web.listen-address=127.0.0.1:0 ...
#
# Why a wrapper with two extra requires: the operator's go.mod replaces its nested modules
# pkg/apis/monitoring and pkg/client with ./pkg/..., which a dependent module cannot use; the
# same version of each is published, so the wrapper requires them at v0.93.0 (lib-go.sh says
# why a wrapper rather than `go install`). The wrapper also requires cloud.google.com/go at
# v0.123.0: Prometheus's go.mod `exclude`s the old monolithic versions, which a dependent module
# does not inherit, and v0.34.0 would make cloud.google.com/go/compute/metadata ambiguous.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-go.sh"

OPERATOR_VERSION=v0.93.0
BIN="$PEERS_BIN/prometheus-operator"
M=github.com/prometheus-operator/prometheus-operator

if ! stamped prometheus-operator "$OPERATOR_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	log "prometheus-operator $OPERATOR_VERSION: building through a wrapper module (cold: ~7 min on 2 cores)"
	dir=$(gowrap_init prometheus-operator "$M" "$OPERATOR_VERSION" "$M/cmd/operator")
	(cd "$dir" && go mod edit -go=1.26.0 \
		-require "$M/pkg/apis/monitoring@$OPERATOR_VERSION" -require "$M/pkg/client@$OPERATOR_VERSION" -require cloud.google.com/go@v0.123.0)
	gowrap_build "$dir" "$M/cmd/operator" "$BIN" $(prom_version_ldflags "$OPERATOR_VERSION")
	stamp prometheus-operator "$OPERATOR_VERSION"
	log "prometheus-operator built in $((SECONDS - t0)) s"
fi

"$BIN" --version 2>&1 | head -1 >&2
report prometheus-operator "$OPERATOR_VERSION" "$BIN"
