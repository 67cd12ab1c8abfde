# Starting and stopping the harness's processes. Every process is recorded as
# "<pid> <starttime>" in $RUN_DIR/pids, so teardown (and the next run, after a hard
# kill) stops exactly the processes the harness started and never a recycled PID.
# Sourced by run.sh after common.sh.

STARTED=()   # names, in start order

_starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null | head -1; }
# /proc/PID/stat's comm field has no spaces for our programs, so field 22 is starttime.

# start_proc NAME CMD...: runs CMD in the background, output to $LOGS/NAME.log.
start_proc() {
  local name=$1; shift
  mkdir -p "$RUN_DIR/pids" "$LOGS"
  "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(_starttime "$pid")" >"$RUN_DIR/pids/$name.pid"
  STARTED+=("$name")
  log "started $name (pid $pid, log $LOGS/$name.log)"
}

proc_alive() { # NAME
  local f="$RUN_DIR/pids/$1.pid" pid st
  [[ -f $f ]] || return 1
  read -r pid st <"$f"
  [[ -n $pid && $(_starttime "$pid") == "$st" ]]
}

# kill_recorded FILE GRACE: SIGTERM, wait up to GRACE seconds, then SIGKILL.
kill_recorded() {
  local f=$1 grace=$2 pid st i
  [[ -f $f ]] || return 0
  read -r pid st <"$f"
  if [[ -n $pid && -n $st && $(_starttime "$pid") == "$st" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      [[ $(_starttime "$pid") == "$st" ]] || break
      sleep 0.1
    done
    [[ $(_starttime "$pid") == "$st" ]] && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# Stops everything this run started, newest first; then anything recorded by a run
# that died without cleaning up (its pid files are still there).
stop_all_procs() {
  local i name f
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    name=${STARTED[i]}
    kill_recorded "$RUN_DIR/pids/$name.pid" 10
  done
  STARTED=()
  for f in "$RUN_DIR"/pids/*.pid; do
    [[ -e $f ]] && kill_recorded "$f" 5
  done
  # Containers the fakelet started, in case it was killed before stopping them.
  for f in "$RUN_DIR"/fakelet/pids/*.pid; do
    [[ -e $f ]] || continue
    local pid st
    read -r pid st <"$f"
    if [[ -n $pid && -n $st && $(_starttime "$pid") == "$st" ]]; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$f"
  done
}
