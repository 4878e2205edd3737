#!/bin/sh
# The dstack agent on an SSH-fleet host. The dstack server writes this script into the agent's
# home, beside dstack-agent.jar and agent.env, and calls it over SSH:
#   dstack-agent.sh run        the agent in the foreground (systemd units run this)
#   dstack-agent.sh start      a supervisor in the background, unless one runs already
#   dstack-agent.sh restart    the agent again: its supervisor restarts it, or a new one starts
#   dstack-agent.sh stop       the supervisor and the agent, for good
#   dstack-agent.sh status     "supervisor running" or "supervisor stopped"
#   dstack-agent.sh supervise  (what "start" runs) the agent again whenever it exits
# Where systemd cannot be used, the supervisor keeps the agent running; its pid files and the
# agent's output (agent.log) live here too.
set -u
cd "$(dirname "$0")" || exit 1
home=$(pwd -P)
supervisor="dstack-agent.sh supervise"
pid=

# Whether the process in pid file $1 is alive and has $2 in its command line (pids are reused).
alive() {
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

pause() {
  sleep "$1" 2>/dev/null || sleep 1
}

# Stops the agent: TERM, and KILL if it is still there after 10 s (a hung JVM).
stop_agent() {
  if alive agent.pid dstack-agent.jar; then
    kill "$pid"
  fi
  i=0
  while [ $i -lt 50 ] && alive agent.pid dstack-agent.jar; do
    pause 0.2
    i=$((i + 1))
  done
  if alive agent.pid dstack-agent.jar; then
    kill -9 "$pid"
  fi
}

run() {
  set -a
  # shellcheck source=/dev/null
  . ./agent.env
  set +a
  java=${DSTACK_AGENT_JAVA:-java}
  unset DSTACK_AGENT_JAVA
  exec "$java" -Xmx64m -jar "$home/dstack-agent.jar" --home "$home" --port "$DSTACK_SHIM_HTTP_PORT"
}

supervise() {
  # never two supervisors: the lock dies with its holder, so a killed one leaves none behind
  if command -v flock >/dev/null 2>&1; then
    exec 9>>supervisor.lock
    flock -n 9 || exit 0
  elif alive supervisor.pid "$supervisor"; then
    exit 0
  fi
  echo $$ >supervisor.pid
  # an agent whose supervisor was killed still holds the port: it goes first
  stop_agent
  child=
  trap 'finish' TERM INT
  while :; do
    if [ -f agent.log ] && [ "$(wc -c <agent.log)" -gt 10485760 ]; then
      mv -f agent.log agent.log.1
    fi
    sh "$home/dstack-agent.sh" run >>agent.log 2>&1 9>&- &
    child=$!
    echo "$child" >agent.pid
    wait "$child"
    # a short pause, so an agent that cannot start does not spin
    pause 2 9>&- &
    wait $!
  done
}

finish() {
  if [ -n "$child" ]; then
    kill "$child" 2>/dev/null
    wait "$child"
  fi
  rm -f supervisor.pid agent.pid
  exit 0
}

start() {
  if alive supervisor.pid "$supervisor"; then
    echo "supervisor running"
    return
  fi
  if command -v setsid >/dev/null 2>&1; then
    setsid nohup sh "$home/dstack-agent.sh" supervise </dev/null >/dev/null 2>&1 &
  else
    nohup sh "$home/dstack-agent.sh" supervise </dev/null >/dev/null 2>&1 &
  fi
  echo "supervisor started"
}

restart() {
  if alive supervisor.pid "$supervisor"; then
    stop_agent
    echo "supervisor restarting the agent"
  else
    start
  fi
}

stop() {
  if alive supervisor.pid "$supervisor"; then
    kill "$pid"
  fi
  if alive agent.pid dstack-agent.jar; then
    kill "$pid"
  fi
  i=0
  while [ $i -lt 50 ] && { alive supervisor.pid "$supervisor" || alive agent.pid dstack-agent.jar; }; do
    pause 0.2
    i=$((i + 1))
  done
  # still there after 10 s: killed
  if alive supervisor.pid "$supervisor"; then
    kill -9 "$pid"
  fi
  if alive agent.pid dstack-agent.jar; then
    kill -9 "$pid"
  fi
  rm -f supervisor.pid agent.pid
  echo "supervisor stopped"
}

status() {
  if alive supervisor.pid "$supervisor"; then
    echo "supervisor running"
  else
    echo "supervisor stopped"
  fi
}

case "${1:-}" in
  run) run ;;
  supervise) supervise ;;
  start) start ;;
  restart) restart ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 run|start|restart|stop|status" >&2
    exit 2
    ;;
esac
