# shellcheck shell=bash
# The network-namespace lab: the helpers e2e/run and bench/run share (sourced by both; it runs nothing itself).
#
# The script that sources it sets first:
#   LAB       its name, the prefix of its messages: e2e, bench
#   PREFIX    the prefix of everything it creates (namespaces, /etc/netns/*, /tmp/*): sluice-e2e-, sbench-
#   ROOT      the top of the repository (the jar, the Maven build)
#   LAB_POLL  optional: seconds between two polls of wait_for and wait_service (default 0.1)
# and gets: T (make_temp_dir), LOCK_FD (lock_run). Daemons it starts should close LOCK_FD ({LOCK_FD}<&-).

# ---- small helpers ----
now_ms() { date +%s%3N; }
log() { printf '%s\n' "$*" >&2; }
die() { log "$LAB: $*"; exit 2; }
# Daemons are started with `ip netns exec ... &` directly (it execs, so $! is the daemon itself, not a subshell).
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }
# listening NS PORT: something in NS listens on TCP PORT.
listening() { [[ -n $(in_ns "$1" ss -Hltn "sport = :$2") ]]; }
# sockets PID: how many sockets the process holds open.
sockets() { { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null || true; } | wc -l; }
# cpu_ticks PID: utime + stime of the process, all threads (fields 14 and 15 of /proc/PID/stat), in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# wait_for TIMEOUT_S DESCRIPTION CMD...: polls CMD until it succeeds or the deadline passes (then returns 1).
wait_for() {
  local timeout=$1 desc=$2 deadline
  shift 2
  deadline=$(($(now_ms) + timeout * 1000))
  until "$@"; do
    if (($(now_ms) >= deadline)); then
      log "$LAB: timed out after ${timeout}s waiting for $desc"
      return 1
    fi
    sleep "${LAB_POLL:-0.1}"
  done
}

# wait_service NAME PID TIMEOUT_S CMD...: like wait_for, but gives up at once if the process PID died.
wait_service() {
  local name=$1 pid=$2 timeout=$3 deadline
  shift 3
  deadline=$(($(now_ms) + timeout * 1000))
  until "$@"; do
    if ! alive "$pid"; then
      log "$LAB: $name exited before it was ready"
      return 1
    fi
    if (($(now_ms) >= deadline)); then
      log "$LAB: timed out after ${timeout}s waiting for $name to be ready"
      return 1
    fi
    sleep "${LAB_POLL:-0.1}"
  done
}

# ---- preconditions ----
# require_root WHY: exits 2 unless run as root.
require_root() { [[ $(id -u) == 0 ]] || die "must run as root ($1): sudo $0"; }

# lock_run: one run of this lab at a time on the machine. Its namespaces are the machine's (by prefix), so a second
# run, from another checkout too, would remove the first's: the lock is /run/lock/sluice-LAB.lock (left there,
# empty; /run/lock is a tmpfs), held on LOCK_FD, which the daemons and cases must not inherit.
lock_run() {
  local dir=/run/lock
  [[ -d $dir && -w $dir ]] || dir=${TMPDIR:-/tmp}
  exec {LOCK_FD}>>"$dir/sluice-$LAB.lock"
  flock -n "$LOCK_FD" || die "another $LAB/run is running on this machine ($dir/sluice-$LAB.lock)"
}

# missing_packages CMD:PACKAGE...: prints, one a line, the package of each command that is not in PATH.
missing_packages() {
  local c
  for c in "$@"; do
    command -v "${c%%:*}" >/dev/null 2>&1 || printf '%s\n' "${c#*:}"
  done
}

# install_packages PACKAGE...: apt-get install, with apt-get update and a second try if the first fails.
install_packages() {
  (($#)) || return 0
  log "$LAB: installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}

# ---- what a run leaves behind: everything it creates carries PREFIX, so a crashed run's leftovers are found by name ----
# remove_namespaces: every namespace named PREFIX*, after killing what still runs in it, and its /etc/netns files.
remove_namespaces() {
  local ns pids deadline
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX" || true); do
    deadline=$(($(now_ms) + 5000))
    while pids=$(ip netns pids "$ns" 2>/dev/null) && [[ -n $pids ]] && (($(now_ms) < deadline)); do
      # shellcheck disable=SC2086 # word splitting wanted: a list of pids
      kill -KILL $pids 2>/dev/null || true
      sleep 0.05
    done
    [[ -z $pids ]] || log "$LAB: processes still in $ns after SIGKILL: $pids"
    ip netns del "$ns" 2>/dev/null || log "$LAB: could not delete namespace $ns"
  done
  rm -rf /etc/netns/"$PREFIX"*
}

# remove_leftovers: the namespaces and temporary directories of an earlier run that could not clean up.
remove_leftovers() {
  remove_namespaces
  rm -rf /tmp/"$PREFIX"*
}

# make_temp_dir: T, a new /tmp/PREFIXxxxxxx that the daemons (running as other users) can read.
make_temp_dir() {
  T=$(mktemp -d "/tmp/${PREFIX}XXXXXX")
  chmod 755 "$T"
}

# finish_temp_dir KEEP: removes T, or keeps it (and says so) when KEEP is 1.
finish_temp_dir() {
  [[ -n ${T:-} && -d $T ]] || return 0
  if [[ $1 == 1 ]]; then log "$LAB: kept $T"; else rm -rf "$T"; fi
}

# stop_pids PID...: SIGTERM to each, up to 5 s in all for them to exit, then SIGKILL; each is reaped.
stop_pids() {
  local pid deadline
  for pid in "$@"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
  deadline=$(($(now_ms) + 5000))
  for pid in "$@"; do
    while alive "$pid" && (($(now_ms) < deadline)); do sleep 0.05; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  return 0
}

# ---- topology ----
# add_namespace NS: a namespace with loopback up, and its own resolv.conf and hosts (ip netns exec bind-mounts
# /etc/netns/NS/*): nothing in a lab may ask a real DNS server; names come from the namespace's hosts file.
add_namespace() {
  ip netns add "$1"
  in_ns "$1" ip link set lo up
  mkdir -p "/etc/netns/$1"
  printf 'nameserver 127.0.0.1\n' >"/etc/netns/$1/resolv.conf"
  printf '127.0.0.1 localhost\n' >"/etc/netns/$1/hosts"
}

# add_veth NS_A IF_A NS_B IF_B: a veth pair from NS_A (named IF_A there) to NS_B (IF_B), both ends up.
add_veth() {
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  in_ns "$1" ip link set "$2" up
  in_ns "$3" ip link set "$4" up
}

# add_addrs NS IF CIDR...: the addresses of IF in NS.
add_addrs() {
  local ns=$1 dev=$2 a
  shift 2
  for a in "$@"; do in_ns "$ns" ip addr add "$a" dev "$dev"; done
}

# ---- the jar ----
# jar_is_stale JAR: JAR is missing or older than a file of the build (the poms, gateway/src/main, and what the
# Debian package made beside it holds: packaging/, the launcher, the units, the shipped configuration).
jar_is_stale() {
  [[ ! -f $1 ]] && return 0
  [[ -n $(find "$ROOT/pom.xml" "$ROOT/gateway/pom.xml" "$ROOT/gateway/src/main" "$ROOT/packaging" "$ROOT/bin" \
    "$ROOT/systemd" "$ROOT/conf" "$ROOT/iptables" -newer "$1" -type f -print -quit) ]]
}

# build_jar JAR LOGFILE: mvn -q -DskipTests package at ROOT, its output in LOGFILE; on failure its tail goes to
# stderr and the status is 1.
build_jar() {
  log "$LAB: building $1 (mvn -q -DskipTests package)"
  (cd "$ROOT" && mvn -q -B -DskipTests package) >"$2" 2>&1 || { tail -n 40 "$2" >&2; return 1; }
}

# lab_check LAB LOG CHECKS COUNTER DESCRIPTION CMD...: a lab's setup check. Runs CMD (its output, under a
# "== DESCRIPTION" line, into LOG) and records "LAB: DESCRIPTION ok" or "LAB: FAIL DESCRIPTION" in CHECKS; a failure
# adds one to the variable COUNTER, which the lab's *_lab_check turns into setup_failed.
lab_check() {
  local lab=$1 log=$2 checks=$3 desc=$5
  local -n failed=$4
  shift 5
  printf '== %s\n' "$desc" >>"$log"
  if "$@" >>"$log" 2>&1; then
    printf '%s: %s ok\n' "$lab" "$desc" >>"$checks"
  else
    printf '%s: FAIL %s\n' "$lab" "$desc" >>"$checks"
    failed=$((failed + 1))
  fi
}
