#!/usr/bin/env bash
# Cold-start benchmark (SQLite): time from process start to the first 200 of
# /api/server/get_info, and resident memory 5 s after that, over N runs per packaging variant,
# on a fresh state directory and on an existing one. Prints medians.
#
#   scripts/bench/startup.sh [-n RUNS] [-c CPUS] [variant...]   variants: war addlibs uber defaultheap
#   -c CPUS pins the server to that many cores (taskset), e.g. -c 1 for upstream's 1-CPU minimum
#
# war          the WAR on Payara Micro through payara/dstack-server (the README's way)
# addlibs      the same, with WEB-INF/lib moved to --addlibs (skips Payara's deployment scan)
# uber         a Payara Micro uber jar holding the WAR as ROOT.war, with the launcher's JVM flags
# defaultheap  plain `java -jar payara-micro.jar --deploy dstack.war` with no JVM flags at all
set -euo pipefail
project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs=5
pin=()
while [[ "${1:-}" == -* ]]; do
  case "$1" in
    -n) runs="$2" ;;
    -c) pin=(taskset -c "0-$(($2 - 1))") ;;
  esac
  shift 2
done
variants=("$@")
((${#variants[@]})) || variants=(war addlibs uber defaultheap)

war="$project/target/dstack.war"
micro="$project/target/payara-micro.jar"
[[ -f "$war" && -f "$micro" ]] || (cd "$project" && mvn -q -B -DskipTests package)
work="$(mktemp -d /tmp/dstack-bench.XXXXXX)"
trap 'pkill -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
port=3990
jvm_opts="-Xmx256m -XX:MaxMetaspaceSize=256m -XX:+UseSerialGC -Xss512k -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=64m"

prepare() {
  case "$1" in
    addlibs)
      mkdir -p "$work/thin" "$work/libs"
      (cd "$work/thin" && unzip -q "$war" && mv WEB-INF/lib/*.jar "$work/libs/" && zip -qr "$work/thin.war" .)
      ;;
    uber)
      cp "$war" "$work/ROOT.war"
      java -jar "$micro" --nohazelcast --disablephonehome --deploy "$work/ROOT.war" \
        --outputuberjar "$work/dstack-uber.jar" >/dev/null 2>&1
      ;;
  esac
}

start() { # variant state_dir log
  local home="$2"
  case "$1" in
    war)
      HOME="$home" DSTACK_SERVER_DIR="$home/server" DSTACK_SERVER_PORT=$port \
        DSTACK_WAR="$war" PAYARA_MICRO_JAR="$micro" "${pin[@]}" "$project/payara/dstack-server" >"$3" 2>&1 &
      ;;
    addlibs)
      # shellcheck disable=SC2086
      HOME="$home" DSTACK_SERVER_DIR="$home/server" DSTACK_SERVER_PORT=$port \
        "${pin[@]}" java $jvm_opts -jar "$micro" --nohazelcast --disablephonehome --addlibs "$work/libs" \
        --deploy "$work/thin.war" --contextroot / --port $port --rootdir "$home/rt" >"$3" 2>&1 &
      ;;
    uber)
      # shellcheck disable=SC2086
      HOME="$home" DSTACK_SERVER_DIR="$home/server" DSTACK_SERVER_PORT=$port \
        "${pin[@]}" java $jvm_opts -jar "$work/dstack-uber.jar" --port $port --rootdir "$home/rt" >"$3" 2>&1 &
      ;;
    defaultheap)
      HOME="$home" DSTACK_SERVER_DIR="$home/server" DSTACK_SERVER_PORT=$port \
        "${pin[@]}" java -jar "$micro" --deploy "$war" --contextroot / --port $port --rootdir "$home/rt" >"$3" 2>&1 &
      ;;
  esac
}

measure() { # variant state_dir -> "seconds rss_mb"
  local t0 pid rss
  t0=$(date +%s.%N)
  start "$1" "$2" "$2/log-$RANDOM"
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/server/get_info")" == 200 ]]; do
    sleep 0.1
  done
  local elapsed
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
  sleep 5
  pid=$(pgrep -f -- "-jar .*(payara-micro|dstack-uber).jar.*--port $port" | head -n 1)
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  pkill -TERM -f -- "--port $port" || true
  while pgrep -f -- "--port $port" >/dev/null; do sleep 0.2; done
  echo "$elapsed $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'; }

printf '%-12s %-9s %8s %8s   (median of %d; seconds to first 200 of get_info, RSS MB)\n' variant state start rss "$runs"
for variant in "${variants[@]}"; do
  prepare "$variant"
  for state in fresh existing; do
    results=()
    existing="$work/existing-$variant"
    if [[ "$state" == existing ]]; then rm -rf "$existing"; mkdir -p "$existing"; measure "$variant" "$existing" >/dev/null; fi
    for ((i = 0; i < runs; i++)); do
      if [[ "$state" == fresh ]]; then dir="$work/fresh-$variant-$i"; mkdir -p "$dir"; else dir="$existing"; fi
      results+=("$(measure "$variant" "$dir")")
    done
    start_median=$(printf '%s\n' "${results[@]}" | awk '{print $1}' | median)
    rss_median=$(printf '%s\n' "${results[@]}" | awk '{print $2}' | median)
    printf '%-12s %-9s %8s %8s\n' "$variant" "$state" "$start_median" "$rss_median"
  done
done
