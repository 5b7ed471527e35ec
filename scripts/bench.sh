#!/usr/bin/env bash
# Runs every Go benchmark and prints one table: benchmark, iterations,
# time per op and, where reported, custom metrics. Results worth keeping go
# in BENCHMARKS.md with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench . -benchmem -count 1 ./... 2>&1 | tee "$out" >/dev/null || { cat "$out"; exit 1; }
printf '\n%-60s %12s %16s %s\n' "benchmark" "iterations" "time/op" "other metrics"
printf '%-60s %12s %16s %s\n' "---------" "----------" "-------" "-------------"
awk '/^pkg:/ {pkg=$2} /^Benchmark/ {
	name=$1; iters=$2; t=$3" "$4; rest="";
	for (i=5; i<=NF; i+=2) rest=rest $i" "$(i+1)"  ";
	sub(/^github.com\/zun-go\/zun\//, "", pkg);
	printf "%-60s %12s %16s %s\n", pkg"."name, iters, t, rest }' "$out"

# A normal client under slow clients (test/e2e TestSlowClientsLatency): the
# built zund with its default HTTP bounds (internal/httpserve), 500
# connections sending headers a byte a second and 50 sending bodies below
# the minimum rate, each replaced when dropped; goal p99 <= 100 ms.
echo
echo "a normal client under slow clients"
ZUN_BENCH_SLOW_CLIENTS=1 go test -count=1 -run '^TestSlowClientsLatency$' -v ./test/e2e |
	grep -v -E '^(=== |--- |PASS|ok |$)'

# Create→Running as a new user sees it (test/e2e TestCreateLatency): the
# API against `docker run -d` on the same engine, alternated, on a host
# with tenant networks and one without; goal <= 1.10x (issue 14).
echo
echo "create→Running against docker run -d"
ZUN_BENCH_CREATE=1 ZUN_TEST_DOCKER=1 go test -count=1 -run '^TestCreateLatency$' -v ./test/e2e |
	grep -E '^\|'

# The control plane at scale (cmd/zunbench): simulated hosts on the fake
# runtime, containers created through the HTTP API by 64 clients.
# BENCH_SCALE=small runs a quick version.
echo
echo "control plane at scale (zunbench)"
go build -o "$out.zunbench" ./cmd/zunbench
trap 'rm -f "$out" "$out.zunbench"' EXIT
if [ "${BENCH_SCALE:-full}" = small ]; then
	"$out.zunbench" -hosts 100 -containers 5000
	"$out.zunbench" -header=false -list 1000
else
	"$out.zunbench" -hosts 1000 -containers 100000
	"$out.zunbench" -header=false -hosts 10000 -containers 1000000 -limit 10m
	"$out.zunbench" -header=false -list 10000
fi
