#!/usr/bin/env bash
# npm run peers: provisions every test peer (idempotent; a warm run takes about a
# second) and prints each one's version and where it lives.
#
# Three lanes run side by side on a cold machine: two of Go builds (CPU-bound, but each
# `go build` also waits on module downloads and a single-threaded link), the rest (Maven,
# pip, Debian downloads) mostly waiting on the network. The metrics lane holds the two
# longest builds that share little with the others (Thanos, the Prometheus Operator);
# Prometheus follows prom-targets and Alertmanager follows amtool, whose compiled
# packages they reuse from Go's build cache.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

BUILD_LANE=(etcd kube-apiserver kubectl goflow2 gnmic gnmi-target snmp-exporter blackbox-exporter amtool alertmanager pushgateway prom-targets prometheus netbox-openapi flowgen)
METRICS_LANE=(thanos prometheus-operator)
FETCH_LANE=(kafka snmpd promtool maxmind s3-server schemas)

run_lane() {
  for peer in "$@"; do
    local start=$SECONDS
    if bash "$here/$peer.sh" >"$logs/$peer.out" 2>"$logs/$peer.err"; then
      echo "$((SECONDS - start))" >"$logs/$peer.secs"
    else
      echo failed >"$logs/$peer.secs"
    fi
  done
}

started=$SECONDS
run_lane "${FETCH_LANE[@]}" &
fetch_pid=$!
run_lane "${METRICS_LANE[@]}" &
metrics_pid=$!
run_lane "${BUILD_LANE[@]}"
wait "$fetch_pid" "$metrics_pid"

failed=0
printf '%-20s %-24s %s\n' PEER VERSION PATH
for peer in "${BUILD_LANE[@]}" "${METRICS_LANE[@]}" "${FETCH_LANE[@]}"; do
  if [ "$(cat "$logs/$peer.secs")" = failed ]; then
    failed=1
    printf '%-20s %s\n' "$peer" "FAILED; its output:" >&2
    sed 's/^/    /' "$logs/$peer.err" "$logs/$peer.out" | tail -40 >&2
  elif [ "$peer" = schemas ]; then
    cat "$logs/$peer.out"   # one line per schema set: version and where it came from
  else
    tail -n 1 "$logs/$peer.out"
  fi
done
echo "cache: $HELIOS_PEERS_CACHE ($(du -sh "$HELIOS_PEERS_CACHE" 2>/dev/null | cut -f1)); Go caches: $(go env GOMODCACHE) $(go env GOCACHE)"
echo "provisioned in $((SECONDS - started)) s"
exit "$failed"
