# Sourced by kube-apiserver.sh and kubectl.sh (after lib.sh); not a peer script.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod requires every staging
# module (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and replaces it with
# ./staging/src/k8s.io/<name>, which the published module zip does not contain.
# So we build from a wrapper module that replaces each staging module with its
# published v0.<minor>.<patch> tag, and build kube-apiserver and kubectl in ONE
# `go build` so the shared packages (client-go, apimachinery, ...) compile once.

# The staging modules that k8s.io/kubernetes v1.34.x *requires* (its go.mod also
# replaces sample-cli-plugin and sample-controller, but it does not require them
# and they are not all on the module proxy, so they are left out).
# v1.31 lacks externaljwt; check `require` in the target tag's go.mod when bumping.
K8S_STAGING_MODULES="api apiextensions-apiserver apimachinery apiserver cli-runtime
  client-go cloud-provider cluster-bootstrap code-generator component-base
  component-helpers controller-manager cri-api cri-client csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission"
# Required by k8s.io/kubernetes but compiled into neither binary: replaced with an
# empty local module, so its zip/checksum need not be fetched (k8s.io/sample-apiserver
# v0.34.10 is missing from the module proxy, and a local replace needs no go.sum line).
K8S_STUB_MODULES="sample-apiserver"

# k8s_build 1.34.10 -> builds kube-apiserver and kubectl into
# $PEERS_SRC/k8s-v1.34.10/bin (once; stamped as k8s-build@1.34.10) and sets K8S_BIN to it.
# (Call it directly, not in $(...): errexit does not reach into command substitutions.)
k8s_build() {
  local ver="$1" minor major dir mod
  major="${ver%%.*}"; minor="${ver#*.}"; minor="${minor%%.*}"
  dir="$PEERS_SRC/k8s-v$ver"
  K8S_BIN="$dir/bin"
  if stamped k8s-build "$ver" && [ -x "$dir/bin/kube-apiserver" ] && [ -x "$dir/bin/kubectl" ]; then
    return 0
  fi
  # kube-apiserver.sh and kubectl.sh may run concurrently: the second waits for the first's build.
  local lockfd
  exec {lockfd}>"$PEERS_SRC/k8s-v$ver.lock"
  flock "$lockfd"
  if stamped k8s-build "$ver" && [ -x "$dir/bin/kube-apiserver" ] && [ -x "$dir/bin/kubectl" ]; then
    exec {lockfd}>&-; return 0
  fi
  mkdir -p "$dir/bin"
  # Go 1.21+ refuses to switch toolchains silently; k8s v1.34.10 says go 1.24.0 (v1.34.12: 1.25.0).
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  export CGO_ENABLED=0     # as upstream release builds of kube-apiserver/kubectl; no C toolchain needed

  {
    echo "module local/helios-k8s-peers"
    echo
    echo "go 1.24.0"
    echo
    # Same runtime defaults as upstream k8s 1.34 (its go.mod: godebug default=go1.24).
    echo "godebug default=go1.24"
    echo
    echo "replace ("
    for mod in $K8S_STAGING_MODULES; do
      printf '\tk8s.io/%s => k8s.io/%s v0.%s.%s\n' "$mod" "$mod" "$minor" "${ver##*.}"
    done
    for mod in $K8S_STUB_MODULES; do
      printf '\tk8s.io/%s => ./stub/%s\n' "$mod" "$mod"
    done
    echo ")"
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
  for mod in $K8S_STUB_MODULES; do
    mkdir -p "$dir/stub/$mod" && printf 'module k8s.io/%s\n\ngo 1.24\n' "$mod" >"$dir/stub/$mod/go.mod"
  done

  log "k8s v$ver: resolving modules (wrapper in $dir)"
  if ! (cd "$dir" && go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$ver" "k8s.io/kubernetes/cmd/kubectl@v$ver") \
      >"$dir/go-get.log" 2>&1; then
    cat "$dir/go-get.log" >&2; log "k8s v$ver: go get failed"; exit 1
  fi

  # hack/lib/version.sh sets these; without them the binaries report v0.0.0-master+$Format:%H$.
  local x ldflags="-s -w" date
  date="$(date -u +%FT%TZ)"
  for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $x.gitVersion=v$ver -X $x.gitMajor=$major -X $x.gitMinor=$minor"
    ldflags+=" -X $x.gitTreeState=clean -X $x.buildDate=$date"
  done
  log "k8s v$ver: modules ready after ${SECONDS}s; go build kube-apiserver kubectl (cold: ~9 min on 2 cores)"
  # -dwarf=false: DWARF is stripped at link time anyway (-w); skipping it in the compiler
  # saves ~5% CPU and ~20% of the build cache. Not -N -l: ~20% faster but slow binaries.
  (cd "$dir" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "$ldflags" -o "$dir/bin/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl) >&2
  log "k8s v$ver: built after ${SECONDS}s"
  stamp k8s-build "$ver"
  exec {lockfd}>&-
}
