#!/usr/bin/env bash
# Runs API under load (SQLite): the server started from the WAR on a fresh state directory, then
# scripts/bench/RunsBench.java (a JDK HttpClient load generator, platform threads) measures
#
# apply    runs/s of the CLI's `dstack apply -y -d` exchange (runs/get_plan, then runs/apply;
#          bodies of traces/apply-task-yd.jsonl, a distinct run name each) sequentially and with
#          8 clients, and the non-200 answers; then fills the database to RUNS runs (no fleet:
#          each ends "failed / no fleets" within seconds) and waits until all have ended
# list     /api/runs/list {"project_name":"main","limit":100,"include_jobs":true}, 10 connections
#          for SECONDS: requests/s, p50 and p99 latency
# get      runs/get by run name (random among the runs), 10 connections: the same figures
# latency  submit -> running on an idle SSH-fleet host (a network namespace with its own sshd,
#          as scripts/bench/health.sh makes them; needs root): tasks `sleep 1` one after another,
#          time from the apply answer to runs/get saying `running` (polled every 50 ms)
#
# Each figure is the median of ROUNDS rounds (after a warm-up one); server CPU per request or run
# is read from /proc. The load generator shares this machine's CPUs with the server.
#
#   scripts/bench/runs.sh [-r ROUNDS] [-s SECONDS] [-n RUNS] [-l LATENCY_RUNS] [part ...]
#   (defaults: 3 rounds, 10 s, 2000 runs, 10 latency runs; parts: apply list get latency)
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
options=()
while [[ "${1:-}" == -* ]]; do
  case "$1" in
    -r) options+=(--rounds "$2") ;;
    -s) options+=(--seconds "$2") ;;
    -n) options+=(--runs "$2") ;;
    -l) options+=(--latency-runs "$2") ;;
    *) echo "usage: $0 [-r ROUNDS] [-s SECONDS] [-n RUNS] [-l LATENCY_RUNS] [apply|list|get|latency ...]" >&2 && exit 2 ;;
  esac
  shift 2
done

cd "$project"
war="$project/target/dstack.war"
micro="$project/target/payara-micro.jar"
[[ -f "$war" && -f "$micro" ]] || mvn -q -B -DskipTests package
# the test classes hold TestHosts (the latency part's host) and the JSON-P implementation
mvn -q -B -DskipTests test-compile
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
classpath="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"

work="$(mktemp -d /tmp/dstack-bench.XXXXXX)"
port=3991
token="$(cat /proc/sys/kernel/random/uuid)"
server=""
stop_server() {
  local status=$?
  if [[ -n "$server" ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if ((status)) && [[ -f "$work/server.log" ]]; then
    cp "$work/server.log" /tmp/dstack-bench-runs-server.log
    echo "server log: /tmp/dstack-bench-runs-server.log" >&2
  fi
  rm -rf "$work"
}
trap stop_server EXIT

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "port $port is in use" >&2
  exit 1
fi
# The launcher (the README's way to run the WAR) with its default JVM flags, as startup.sh's "war".
HOME="$work" DSTACK_SERVER_DIR="$work/server" DSTACK_SERVER_PORT=$port DSTACK_SERVER_ADMIN_TOKEN="$token" \
  "$project/payara/dstack-server" >"$work/server.log" 2>&1 &
server=$!
until [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/server/get_info")" == 200 ]]; do
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
jvm="$(pgrep -P "$server" java)"

java -Xmx512m -cp "$classpath" scripts/bench/RunsBench.java --url "http://127.0.0.1:$port" --token "$token" \
  --server-pid "$jvm" "${options[@]}" "$@"
