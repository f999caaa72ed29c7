# shellcheck shell=bash
# A booted Debian: a real systemd as PID 1 in a lab namespace, to test the Sluice package as it runs on a
# machine (sourced by e2e/run after netns.sh; it runs nothing itself).
#
#   booted_rootfs          the cached bookworm root file system (built once with mmdebstrap): BOOTED_LOWER
#   booted_start NS        boots it in the network namespace NS (an overlay on the cache): BOOTED_PID
#   booted CMD...          runs CMD in it (all its namespaces, its root, a clean environment), status passed on
#   booted_copy SRC DEST   copies the host file SRC to DEST in it (a file, not a directory: pipe a tar for those)
#   booted_stop            powers it off and checks that nothing is left (processes, mounts, cgroups)
#
# The machine has no systemd as PID 1 and shares one kernel with the host, so the boot is fenced in: its own
# pid, mount, uts, ipc and cgroup namespaces; /proc/sys and /sys read-only (the sysctls and most of /sys are the
# host's: the namespace's own sysctls, ip_forward, are set from outside with `ip netns exec`); a /dev of its own
# with only the harmless devices (no console, kmsg, disks or loop devices); a cgroup2 tree of its own (below);
# and the units masked that would touch the kernel or hang (see BOOTED_MASK).
BOOTED_CACHE=/var/cache/sluice-e2e
# What the Sluice package needs (Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, adduser;
# Recommends: iptables) is all here: the tests install the .deb with no network and no package lists.
BOOTED_PACKAGES=systemd,systemd-sysv,dbus,openjdk-17-jre-headless,iptables,adduser,logrotate,curl,procps,iproute2
# Units that must not run on a shared kernel or in a container: gettys (they would wait on a console that is
# not there), systemd-firstboot (prompts), kernel modules (modprobe@ too, in case kmod comes), sysctls, udev
# (its trigger writes the host's /sys), binfmt, the random seed (the host's pool), timesyncd (the host's clock),
# journald's audit socket, debugfs, tracefs, configfs and fusectl (global kernel state), and the maintenance
# timers (apt, fstrim, e2scrub). Most would also be skipped by their conditions (read-only /proc/sys and /sys,
# no kmod): masked, they cannot start whatever the conditions say.
BOOTED_MASK=(getty.target console-getty.service container-getty@.service getty@.service serial-getty@.service
  systemd-firstboot.service modprobe@.service systemd-modules-load.service kmod-static-nodes.service
  systemd-sysctl.service systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service systemd-binfmt.service
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-random-seed.service
  systemd-timesyncd.service systemd-pstore.service systemd-journald-audit.socket sys-kernel-debug.mount
  sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount apt-daily.timer
  apt-daily-upgrade.timer fstrim.timer e2scrub_all.timer e2scrub_reap.service)
BOOTED_LOWER=
BOOTED_PID=     # the booted systemd, as the host sees it
BOOTED_PARENT=  # unshare, its parent outside the pid namespace
BOOTED_NS=
BOOTED_STATE=   # what systemctl is-system-running said last
BOOTED_PIDNS=   # the pid namespace (its inode): whatever still runs there is a leftover
BOOTED_CG=      # its cgroup2 tree: CGROUP2/PREFIXbooted-PID (CGROUP2 is /sys/fs/cgroup/unified on this host)

# booted_rootfs: sets BOOTED_LOWER to the cached root file system, built first if missing. The cache is named
# by a hash of the mmdebstrap arguments (a new package list or mask is a new cache; older ones are removed) and
# built into DIR.new, renamed only when complete. Its log: BOOTED_CACHE/build.log.
# shellcheck disable=SC2016 # the hooks' $1 (the root directory) is theirs
booted_rootfs() {
  local args key dir start
  args=(--variant=minbase --include="$BOOTED_PACKAGES"
    # no sources (and mmdebstrap leaves no package lists): apt in it works offline, for `apt-get install
    # ./x.deb` whose dependencies are installed, and fails at once (unmet dependencies) if one is not
    --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*'
    --customize-hook="chroot \"\$1\" systemctl mask --quiet ${BOOTED_MASK[*]}"
    bookworm)
  key=$(printf '%s\n' "${args[@]}" | sha256sum | cut -c1-12)
  dir=$BOOTED_CACHE/rootfs-$key
  BOOTED_LOWER=$dir
  [[ -d $dir ]] && return 0
  command -v mmdebstrap >/dev/null || install_packages mmdebstrap
  mkdir -p "$BOOTED_CACHE"
  rm -rf "$BOOTED_CACHE"/rootfs-*
  log "$LAB: building the booted root file system $dir (mmdebstrap, about a minute)"
  start=$(now_ms)
  mmdebstrap "${args[@]}" "$dir.new" >"$BOOTED_CACHE/build.log" 2>&1 \
    || { tail -n 30 "$BOOTED_CACHE/build.log" >&2; rm -rf "$dir.new"; return 1; }
  mv "$dir.new" "$dir"
  log "$LAB: built $dir in $(($(now_ms) - start)) ms ($(du -sh "$dir" | cut -f1))"
}

# The boot itself, run by unshare as the first process of the new namespaces (pid 1): it mounts the overlay
# and the file systems systemd expects, then execs systemd chrooted into the overlay. Everything it mounts is
# in the new mount namespace, so it goes away with it. Arguments: LOWER DIR (DIR/upper, DIR/work, DIR/root).
# shellcheck disable=SC2016 # expanded by that bash, not this one
BOOTED_INIT='set -e
  lower=$1 b=$2 r=$2/root
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$b/upper,workdir=$b/work" "$r"
  mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
  # the sysctls and the rest of /proc that is the whole kernel'"'"'s: read-only
  for p in sys sysrq-trigger irq bus fs; do
    [[ -e $r/proc/$p ]] && mount --bind "$r/proc/$p" "$r/proc/$p" && mount -o remount,bind,ro "$r/proc/$p"
  done
  # a sysfs of this network namespace (its /sys/class/net), read-only; a cgroup2 whose root is this cgroup
  # namespace'"'"'s (the tree booted_start made): systemd sees it and runs in unified mode, in there only
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
  mount -t tmpfs -o nosuid,mode=755 tmpfs "$r/dev"
  for d in null zero full random urandom tty; do touch "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
  mkdir "$r/dev/pts" "$r/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$r/dev/pts"
  ln -s pts/ptmx "$r/dev/ptmx"
  ln -s /proc/self/fd "$r/dev/fd"
  ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"
  ln -s /proc/self/fd/2 "$r/dev/stderr"
  mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs "$r/run"
  mount -t tmpfs -o nosuid,nodev tmpfs "$r/tmp"
  exec env -i container=other "$(command -v chroot)" "$r" /lib/systemd/systemd --system'

# booted_start NS: boots BOOTED_LOWER (booted_rootfs) as PID 1 in the network namespace NS, on an overlay
# under $T/booted (upper: what the system changed; console.log: the boot script's errors, systemd itself logs to
# its journal), hostname NS without PREFIX, its own /etc/hosts and /etc/resolv.conf (127.0.0.1: no real DNS).
# Sets BOOTED_PID. Waits up to 60 s for `systemctl is-system-running` to say running; if the system ends degraded
# (or not at all), prints its failed units, their journal and pending jobs and returns 1; booted_stop is needed
# either way. One booted system at a time.
# This host's limits apply inside: the hard limit of open files is the shell's (20000 here, ulimit -Hn) and
# CAP_SYS_RESOURCE is not in the bounding set, so systemd quietly lowers a unit's LimitNOFILE= above it.
booted_start() {
  local ns=$1 b=$T/booted start units
  [[ -z $BOOTED_PARENT ]] || { log "$LAB: a booted system is already running (in $BOOTED_NS)"; return 1; }
  BOOTED_NS=$ns
  booted_remove_cgroups || true # a killed run's (one still in use is only reported)
  mkdir -p "$b/upper/etc" "$b/work" "$b/root"
  printf '%s\n' "${ns#"$PREFIX"}" >"$b/upper/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "${ns#"$PREFIX"}" >"$b/upper/etc/hosts"
  printf 'nameserver 127.0.0.1\n' >"$b/upper/etc/resolv.conf"
  # cgroups: a cgroup2 directory of its own, entered before unshare --cgroup so that it is the root of the new
  # cgroup namespace; systemd creates its slices and scopes under it only, and the v1 hierarchies (where the
  # host keeps its limits) are left as they are.
  BOOTED_CG=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)/${PREFIX}booted-$$
  mkdir "$BOOTED_CG"
  start=$(now_ms)
  # The wrapper enters that cgroup and closes LOCK_FD (when the script holds one), then execs: $! is unshare.
  # unshare --kill-child: if unshare dies, so does the booted systemd.
  # shellcheck disable=SC2016
  bash -c 'echo $$ >"$1/cgroup.procs"; [[ -z $2 ]] || eval "exec $2<&-"; shift 2; exec "$@"' booted \
    "$BOOTED_CG" "${LOCK_FD:-}" nsenter --net="/run/netns/$ns" unshare --pid --fork --kill-child --mount --uts \
    --ipc --cgroup --propagation private bash -c "$BOOTED_INIT" booted "$BOOTED_LOWER" "$b" \
    </dev/null >"$b/console.log" 2>&1 &
  BOOTED_PARENT=$!
  BOOTED_STATE=
  if wait_service "the booted system" "$BOOTED_PARENT" 5 booted_find_pid; then
    BOOTED_PIDNS=$(readlink "/proc/$BOOTED_PID/ns/pid") || true
    wait_for 60 "the booted system to be running" booted_settled || BOOTED_STATE=timeout
  fi
  if [[ $BOOTED_STATE != running ]]; then
    log "$LAB: booted system in $ns is ${BOOTED_STATE:-gone}"
    [[ ! -s $b/console.log ]] || { log "$LAB: its console.log:"; tail -n 20 "$b/console.log" >&2; }
    if alive "$BOOTED_PID"; then
      booted systemctl --failed --no-pager >&2
      mapfile -t units < <(booted systemctl --failed --plain --no-legend | awk '{print "-u"; print $1}')
      ((${#units[@]} == 0)) || booted journalctl -b --no-pager -n 200 "${units[@]}" >&2
      booted systemctl list-jobs --no-pager >&2
    fi
    return 1
  fi
  log "$LAB: booted system in $ns running in $(($(now_ms) - start)) ms (pid $BOOTED_PID)"
}

# booted_find_pid: sets BOOTED_PID to unshare's child, once unshare has forked it.
booted_find_pid() {
  BOOTED_PID=$({ tr -d ' ' <"/proc/$BOOTED_PARENT/task/$BOOTED_PARENT/children"; } 2>/dev/null)
  [[ -n $BOOTED_PID ]]
}
# booted_settled: the boot is over (BOOTED_STATE: running, degraded, or empty if systemd died).
booted_settled() {
  alive "$BOOTED_PID" || { BOOTED_STATE=; return 0; }
  BOOTED_STATE=$(booted systemctl is-system-running 2>/dev/null)
  [[ $BOOTED_STATE == running || $BOOTED_STATE == degraded ]]
}
booted_gone() { ! alive "$BOOTED_PID"; }

# booted CMD...: CMD in the booted system: its namespaces and root, PATH and LANG only.
booted() {
  nsenter --target "$BOOTED_PID" --all --root --wd \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# booted_copy SRC DEST: the host file SRC as DEST (a file name) in the booted system, mode kept, owned by root.
# Through a pipe rather than /proc/PID/root, where an absolute symbolic link would resolve on the host.
booted_copy() {
  # shellcheck disable=SC2016,SC2094 # expanded by that sh; SRC is only read
  booted sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' sh "$2" "$(stat -c %a "$1")" <"$1"
}

# booted_stop: powers the booted system off (up to 30 s, then SIGKILL to its PID 1, which ends the whole pid
# namespace), then checks that nothing is left: no process in its pid namespace, no mount of it on the host, no
# cgroup. Safe to call twice, and after a boot that failed halfway. Returns 1 if something was left.
booted_stop() {
  local start left=0
  [[ -n $BOOTED_PARENT ]] || { booted_remove_cgroups; return $?; }
  start=$(now_ms)
  [[ -n $BOOTED_PID ]] || booted_find_pid || true # stopped while booting
  [[ -n $BOOTED_PIDNS || -z $BOOTED_PID ]] || BOOTED_PIDNS=$(readlink "/proc/$BOOTED_PID/ns/pid") || true
  if [[ -n $BOOTED_PID ]] && alive "$BOOTED_PID"; then
    # too early in the boot for systemctl: SIGKILL at once
    if booted systemctl poweroff >/dev/null 2>&1; then
      wait_for 30 "the booted system to power off" booted_gone || kill -KILL "$BOOTED_PID" 2>/dev/null || true
    else
      kill -KILL "$BOOTED_PID" 2>/dev/null || true
    fi
  fi
  # unshare exits when its child has; if that child is not known yet, SIGKILL to unshare (it blocks SIGTERM)
  # kills it too (--kill-child)
  [[ -n $BOOTED_PID ]] || kill -KILL "$BOOTED_PARENT" 2>/dev/null || true
  wait "$BOOTED_PARENT" 2>/dev/null || true
  log "$LAB: booted system in $BOOTED_NS stopped in $(($(now_ms) - start)) ms"
  if [[ -n $BOOTED_PIDNS ]]; then
    wait_for 5 "the booted system's processes to end" booted_pidns_empty \
      || { log "$LAB: left in the booted pid namespace: $(booted_pidns_pids)"; left=1; }
  fi
  if grep -q " $T/booted/" /proc/self/mountinfo; then log "$LAB: booted mounts left on the host"; left=1; fi
  booted_remove_cgroups || left=1
  BOOTED_PARENT='' BOOTED_PID='' BOOTED_PIDNS=''
  return $left
}

# booted_pidns_pids: the processes (host pids) in the booted pid namespace.
booted_pidns_pids() {
  local p
  [[ -n $BOOTED_PIDNS ]] || return 0
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/ns/pid" 2>/dev/null) != "$BOOTED_PIDNS" ]] || echo "${p#/proc/}"
  done
}
booted_pidns_empty() { [[ -z $(booted_pidns_pids) ]]; }

# booted_remove_cgroups: removes the booted cgroup trees (this run's, and a killed run's), deepest first, waiting
# up to 10 s for their processes to be gone (killed ones take a moment to leave); 1 if one is still there.
booted_remove_cgroups() {
  local d rc=0
  for d in /sys/fs/cgroup/"$PREFIX"booted-* /sys/fs/cgroup/*/"$PREFIX"booted-*; do
    [[ -d $d ]] || continue
    wait_for 10 "cgroup $d to empty" booted_rmdir_tree "$d" \
      || { log "$LAB: cgroup $d left: $(find "$d" -name cgroup.procs -exec cat {} + | tr '\n' ' ')"; rc=1; }
  done
  return $rc
}
booted_rmdir_tree() { find "$1" -depth -type d -exec rmdir {} + 2>/dev/null; [[ ! -d $1 ]]; }
