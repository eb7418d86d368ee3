# Sourced (after lib.sh) by the provisioning scripts that build a Go peer.
# Not a peer itself: running it does nothing.
#
# Why a wrapper module instead of `go install pkg@version`:
# the module proxy this project reaches answers 403 ("This module version is
# not available") to the version *list* of many modules (snmp_exporter,
# blackbox_exporter, gnxi, gnmic...), while it serves the pinned versions
# themselves. `go install pkg@version` always reads that list (to look for a
# deprecation notice) and so fails; a module that merely *requires* the pinned
# version does not read it. A wrapper module also lets a recipe add `replace`
# lines, which `go install` would refuse.
#
# The wrapper lives in $PEERS_SRC/<name>-wrapper; compiled packages stay in
# Go's own build cache (GOCACHE) and modules in GOMODCACHE, so a rebuild after
# a pin change only recompiles what changed.

# gowrap_init NAME MODULE VERSION TOOLPKG
#   Writes go.mod of the wrapper (require MODULE VERSION, tool TOOLPKG) and
#   prints the wrapper directory. Callers may add `go mod edit -replace` lines
#   before gowrap_build.
gowrap_init() {
	local name=$1 module=$2 version=$3 toolpkg=$4
	local dir="$PEERS_SRC/$name-wrapper"
	rm -rf "$dir"
	mkdir -p "$dir"
	cat >"$dir/go.mod" <<EOF
module local/helios-peer/$name

go 1.24

require $module $version

tool $toolpkg
EOF
	printf '%s\n' "$dir"
}

# gowrap_build DIR PKG OUT [LDFLAGS...]
#   Resolves the wrapper's module graph and builds PKG (a main package) to OUT,
#   static (CGO_ENABLED=0), stripped, with -trimpath.
gowrap_build() {
	local dir=$1 pkg=$2 out=$3
	shift 3
	(
		cd "$dir"
		go mod tidy 2> >(grep -v '^go: downloading' >&2)
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $*" -o "$out.tmp" "$pkg"
		mv -f "$out.tmp" "$out"
	)
}

# gowrap_moddir MODULE VERSION: directory of MODULE@VERSION in the module cache.
gowrap_moddir() {
	go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# prom_version_ldflags VERSION: -X flags for github.com/prometheus/common/version,
# so `<tool> --version` reports the pinned release instead of the wrapper's.
prom_version_ldflags() {
	local p=github.com/prometheus/common/version
	printf '%s ' "-X $p.Version=${1#v}" "-X $p.Revision=module-$1" "-X $p.Branch=HEAD" \
		"-X $p.BuildUser=helios-peers" "-X $p.BuildDate=reproducible"
}
