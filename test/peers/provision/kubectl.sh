#!/usr/bin/env bash
# kubectl, built from k8s.io/kubernetes/cmd/kubectl in the same wrapper module and
# the same `go build` as kube-apiserver (see lib-k8s.sh): after kube-apiserver.sh
# at the same version it only hard-links the binary (0.1 s).
KUBECTL_VERSION=1.34.10
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
. "$here/lib-k8s.sh"

peer=kubectl ver="$KUBECTL_VERSION" exe="$PEERS_BIN/kubectl"
if ! stamped "$peer" "$ver" || [ ! -x "$exe" ]; then
  k8s_build "$ver"
  # A hard link, not a copy: the binary stays in the wrapper dir for the other script.
  ln -f "$K8S_BIN/kubectl" "$exe.tmp" 2>/dev/null || cp "$K8S_BIN/kubectl" "$exe.tmp"
  mv -f "$exe.tmp" "$exe"
  got="$("$exe" version --client -o json)"
  log "$(printf '%s' "$got" | tr -d ' \n')"
  case "$got" in *"\"gitVersion\": \"v$ver\""*) ;; *) log "unexpected kubectl version"; exit 1;; esac
  stamp "$peer" "$ver"
fi
report "$peer" "v$ver" "$exe"
