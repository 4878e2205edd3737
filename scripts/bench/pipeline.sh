#!/usr/bin/env bash
# Pipeline-engine throughput: rows processed per second by one replica running the probe pipeline
# (a test-only table, src/test/.../workers/Probe.java) on a fresh database, median over N runs.
#
#   scripts/bench/pipeline.sh [-n RUNS] [sqlite|postgresql ...]
#
# noop  a process step that does nothing, 10 workers: the engine's own overhead per row
#       (claim, load transaction, apply transaction, release)
# io    a process step that sleeps 100 ms (an SSH or cloud call), 50 workers: the I/O-bound case;
#       the ceiling is 50 / 0.1 s = 500 rows/s
# PostgreSQL: the local server at 127.0.0.1:5432, user postgres (as the tests use it).
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs=3
if [[ "${1:-}" == -n ]]; then
  runs="$2"
  shift 2
fi
databases=("$@")
((${#databases[@]})) || databases=(sqlite postgresql)

cd "$project"
mvn -q -B -DskipTests test-compile
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
classpath="target/classes:target/test-classes:$(cat target/bench-classpath.txt)"
work="$(mktemp -d /tmp/dstack-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

run_once() { # db mode -> rows/s
  local db="$1" mode="$2" url name rows work_ms workers
  case "$mode" in
    noop) rows=3000 work_ms=0 workers=10 ;;
    io) rows=2000 work_ms=100 workers=50 ;;
  esac
  if [[ "$db" == sqlite ]]; then
    url="sqlite:///$work/bench-$RANDOM$RANDOM.db"
  else
    name="dstack_bench_$RANDOM$RANDOM"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $name"
    url="postgresql+asyncpg://postgres@127.0.0.1:5432/$name"
  fi
  java -Xmx256m -cp "$classpath" ai.dstack.server.workers.ProbeReplica --db "$url" --name bench \
    --rows "$rows" --until "$rows" --work-ms "$work_ms" --workers "$workers" 2>/dev/null |
    sed -n 's/.*: \([0-9.]*\) rows\/s/\1/p'
  if [[ "$db" == postgresql ]]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $name"
  fi
}

printf '%-11s %-5s %s\n' database mode "rows/s (median of $runs; all runs)"
for db in "${databases[@]}"; do
  for mode in noop io; do
    results=()
    for ((i = 0; i < runs; i++)); do
      results+=("$(run_once "$db" "$mode")")
    done
    printf '%-11s %-5s %s (%s)\n' "$db" "$mode" "$(printf '%s\n' "${results[@]}" | median)" "${results[*]}"
  done
done
