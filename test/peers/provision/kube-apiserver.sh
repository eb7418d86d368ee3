#!/usr/bin/env bash
# kube-apiserver, built from the k8s.io/kubernetes Go module (see lib-k8s.sh).
# Measured on 2 cores, Go 1.26.8: cold ~9 min wall / ~10 CPU-min for kube-apiserver+kubectl
# together (one `go build`), +~45 s module download on an empty module cache; warm: 0.01 s.
# Why 1.34.10 and not .11/.12: the checksum database (via the proxy) has no entry for
# k8s.io/kubernetes v1.34.11/v1.34.12 here, so `go get` cannot verify them.
KUBE_APISERVER_VERSION=1.34.10
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
. "$here/lib-k8s.sh"

peer=kube-apiserver ver="$KUBE_APISERVER_VERSION" exe="$PEERS_BIN/kube-apiserver"
if ! stamped "$peer" "$ver" || [ ! -x "$exe" ]; then
  k8s_build "$ver"
  # A hard link, not a copy: the binary stays in the wrapper dir for the other script.
  ln -f "$K8S_BIN/kube-apiserver" "$exe.tmp" 2>/dev/null || cp "$K8S_BIN/kube-apiserver" "$exe.tmp"
  mv -f "$exe.tmp" "$exe"
  got="$("$exe" --version)"   # "Kubernetes v1.34.10"
  log "$got"
  [ "$got" = "Kubernetes v$ver" ] || { log "unexpected version: $got"; exit 1; }
  stamp "$peer" "$ver"
fi
report "$peer" "v$ver" "$exe"
