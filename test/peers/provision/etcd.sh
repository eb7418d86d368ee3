#!/usr/bin/env bash
# etcd server, built from the go.etcd.io/etcd/server/v3 Go module.
# `go install go.etcd.io/etcd/v3@...` fails (its go.mod files `replace` into sibling
# folders), so a two-line wrapper module calls etcdmain.Main, as etcd's own main.go does.
# 3.6.x is the etcd line Kubernetes 1.34 is built and tested against (k8s pins 3.6.4
# client libraries); this is the newest 3.6 patch on the proxy. It needs Go >= 1.26.0.
# Measured on 2 cores: cold ~2.5 min wall / ~2 CPU-min (+~25 s download); warm: 0.01 s.
# (Debian's etcd-server 3.4.23 also passed the same kube-apiserver 1.34 checks, via
#  `apt-get download etcd-server && dpkg -x`, in 6 s without a build, if ever needed.)
ETCD_VERSION=3.6.16
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"

peer=etcd ver="$ETCD_VERSION" exe="$PEERS_BIN/etcd"
if ! stamped "$peer" "$ver" || [ ! -x "$exe" ]; then
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" CGO_ENABLED=0   # upstream releases are CGO_ENABLED=0 too
  dir="$PEERS_SRC/etcd-v$ver"
  mkdir -p "$dir"
  cat >"$dir/main.go" <<'G'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
G
  printf 'module local/helios-etcd\n\ngo 1.26.0\n' >"$dir/go.mod"
  rm -f "$dir/go.sum"
  log "etcd v$ver: resolving modules (wrapper in $dir)"
  if ! (cd "$dir" && go get "go.etcd.io/etcd/server/v3/etcdmain@v$ver") >"$dir/go-get.log" 2>&1; then
    cat "$dir/go-get.log" >&2; log "etcd v$ver: go get failed"; exit 1
  fi
  log "etcd v$ver: modules ready after ${SECONDS}s; go build"
  (cd "$dir" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w" -o "$exe.tmp" .) >&2
  log "etcd v$ver: built after ${SECONDS}s"
  mv -f "$exe.tmp" "$exe"
  got="$("$exe" --version)"   # "etcd Version: 3.6.16", Git SHA (not provided), Go Version, Go OS/Arch
  log "$(printf '%s' "$got" | tr '\n' ' ')"
  case "$got" in "etcd Version: $ver"*) ;; *) log "unexpected etcd version"; exit 1;; esac
  stamp "$peer" "$ver"
fi
report "$peer" "v$ver" "$exe"
