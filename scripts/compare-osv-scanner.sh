#!/usr/bin/env bash
# Compares `palisade scan --offline` with `osv-scanner --offline-vulnerabilities`
# on each case of the shared oracle corpus, against the same OSV records:
# the same findings, and the time each takes (median of 5 runs, whole
# command, on the database or zips already in place).
#
#   go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.2.4
#   scripts/compare-osv-scanner.sh [CORPORA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${1:-../shared/corpora}
osvs=${OSV_SCANNER:-$(command -v osv-scanner || echo "$HOME/go/bin/osv-scanner")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/osvdb/osv-scanner"
cp -r "$corpora/osv-advisories/Go" "$corpora/osv-advisories/PyPI" "$work/osvdb/osv-scanner/"
export OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$work/osvdb"
go build -o "$work/palisade" ./cmd/palisade
db="$work/p.db"
"$work/palisade" db import "$corpora/osv-advisories/Go/all.zip" "$corpora/osv-advisories/PyPI/all.zip" --db "$db" >/dev/null

median() { sort -n | sed -n 3p; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }

printf '%-20s %12s %12s %8s\n' case osv-scanner palisade ratio
for c in "$corpora"/oracle-osv-scanner/case-*.cdx.json; do
  a=$(for _ in 1 2 3 4 5; do ms "$osvs" scan --offline-vulnerabilities -L "$c" --format json; done | median)
  b=$(for _ in 1 2 3 4 5; do ms "$work/palisade" scan --offline "$c" --db "$db" --format json --fail-on never; done | median)
  printf '%-20s %10sms %10sms %7sx\n' "$(basename "$c" .cdx.json)" "$a" "$b" "$(awk "BEGIN{printf \"%.1f\", $a/$b}")"
done
