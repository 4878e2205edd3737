#!/usr/bin/env bash
# Health-check throughput over pooled SSH sessions: the agent deployed to N throwaway hosts
# (network namespaces on this machine, each with its own sshd; needs root), then checked
# round-robin (GET /api/healthcheck through each host's pooled session and port forward) by up to
# 16 workers, for R rounds of S seconds. Prints, per N, the medians over the rounds of checks per
# second and of CPU time per check: here (the server side: HTTP, SSH, forwards) and on the hosts
# (their sshd and agent processes).
#
#   scripts/bench/health.sh [-r ROUNDS] [-s SECONDS] [N ...]      (default: 1 10 50)
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=5
seconds=5
while [[ "${1:-}" == -* ]]; do
  case "$1" in
    -r) rounds="$2" ;;
    -s) seconds="$2" ;;
    *) echo "usage: $0 [-r ROUNDS] [-s SECONDS] [N ...]" >&2 && exit 2 ;;
  esac
  shift 2
done
counts=("$@")
((${#counts[@]})) || counts=(1 10 50)

cd "$project"
mvn -q -B -DskipTests test-compile
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
classpath="target/classes:target/test-classes:$(cat target/bench-classpath.txt)"

printf '%-6s %-8s %-9s %-14s %s\n' hosts workers checks/s "ms CPU here" "ms CPU on hosts (per check, medians of $rounds x ${seconds} s)"
for n in "${counts[@]}"; do
  line="$(java -Xmx512m -cp "$classpath" ai.dstack.server.hosts.HealthBench --hosts "$n" \
    --rounds "$rounds" --seconds "$seconds" 2>/dev/null | grep '^hosts=')"
  # hosts=N workers=W checks/s=X cpu_ms_per_check=Y host_cpu_ms_per_check=Z sessions=S
  read -r -a fields <<<"$(sed 's/[a-z_/]*=//g' <<<"$line")"
  printf '%-6s %-8s %-9s %-14s %s\n' "${fields[0]}" "${fields[1]}" "${fields[2]}" "${fields[3]}" "${fields[4]}"
done
