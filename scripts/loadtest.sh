#!/usr/bin/env bash
# Load test: GET /api/v1/services (page of 100 out of 5,000 services) at a
# fixed rate against a real `palisade serve` on loopback, with vegeta.
#
#   scripts/loadtest.sh [RATE] [DURATION] [DB]
#
# Defaults: 200 requests/s for 30 s on a temporary SQLite database. Pass a
# postgres:// URL as DB to measure PostgreSQL. Prints vegeta's latency
# report (the target is p99 under 20 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-200}
duration=${2:-30s}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
db=${3:-$work/load.db}
vegeta="go run github.com/tsenart/vegeta/v12@v12.13.0"

go build -o "$work/palisade" ./cmd/palisade
go run ./tools/gencatalog -services 5000 -teams 500 > "$work/catalog.yaml"
token="pal_loadtest-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
addr=127.0.0.1:18089

PALISADE_ADMIN_TOKEN=$token "$work/palisade" serve --db "$db" --addr $addr --log-level warn \
  --config "$work/catalog.yaml" > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://$addr/readyz" >/dev/null || { cat "$work/serve.log"; exit 1; }

# Pages from the start, the middle and the end of the catalog.
: > "$work/targets"
for cursor in "" svc-00999 svc-02499 svc-03999 svc-04899; do
  printf 'GET http://%s/api/v1/services?limit=100&cursor=%s\nAuthorization: Bearer %s\n\n' "$addr" "$cursor" "$token" >> "$work/targets"
done
echo "GET /api/v1/services?limit=100 at $rate/s for $duration ($(nproc) cores, database ${db%%\?*})"
$vegeta attack -targets "$work/targets" -rate "$rate" -duration "$duration" -max-workers 64 > "$work/results.bin"
$vegeta report -type text < "$work/results.bin"
$vegeta report -type 'hist[0,2ms,5ms,10ms,20ms,50ms]' < "$work/results.bin"
