# shellcheck shell=bash
# The Debian package under a real systemd (sourced by e2e/run; runs nothing itself). After the other cases, the
# gateway namespace boots Debian with systemd as PID 1 (e2e/lib/booted.sh): the package is installed there with
# apt and used as an operator would (systemctl, journalctl, sluice-iptables.service), while the developer, Squid
# and nginx are the suite's own. Each case appends what it ran and what came back to $SD_TRANSCRIPT, which e2e/run
# prints at the end: the figures of the package's note come from there.

SD_CASES=()    # "id|name|function", run by e2e/run after CASES, in this order
SD_TRANSCRIPT= # $T/systemd/transcript.txt
SD_DIR=        # $T/systemd: the debs and the files written into the booted system
NEW_DEB=       # the package this build made
PREV_DEB=      # the same package as an earlier version (see sd_setup)
sd_case() { SD_CASES+=("$1|$2|$3"); }

# ---- helpers of the cases ----
say() { printf '%s\n' "$*" >>"$SD_TRANSCRIPT"; }
# shown CMD...: CMD in the booted system; "$ CMD", its output and a non-zero status go to the transcript and to
# stdout (the case's log). Returns CMD's status.
shown() {
  local out rc=0
  out=$(booted "$@" 2>&1) || rc=$?
  {
    printf '$ %s\n' "$*"
    [[ -z $out ]] || printf '%s\n' "$out"
    ((rc == 0)) || printf '(exit %d)\n' "$rc"
  } | tee -a "$SD_TRANSCRIPT"
  return "$rc"
}
# prop NAME [UNIT]: a property of sluice.service (or UNIT), as systemctl show --value prints it.
prop() { booted systemctl show -p "$1" --value "${2:-sluice.service}"; }
# cursor: now, in the booted system's clock, for journal_since. (Not journalctl's cursors: --after-cursor together
# with -p missed entries here, in systemd 252.)
cursor() { booted date +%s.%N; }
# journal_since MARK [ARGS...]: the journal of sluice.service from MARK (cursor) on, message text only.
journal_since() { local c=$1; shift; booted journalctl -u sluice.service --since="@$c" -o cat --no-pager "$@"; }
journal_has() { grep -q -- "$2" < <(journal_since "$1"); }
# err_shows MARK REGEX...: journalctl -p err (priority err and worse) since MARK has a line matching each REGEX.
err_shows() {
  local c=$1 out r
  shift
  out=$(journal_since "$c" -p err)
  for r in "$@"; do grep -q -- "$r" <<<"$out" || return 1; done
}
# put FILE DEST: FILE's content written into DEST in the booted system, as an editor would (owner and mode kept).
put() { booted tee "$2" >/dev/null <"$1"; }
sd_listening() { listening "$NS_GW" "$LISTEN_PORT"; }
main_pid() { prop MainPID; }
gave_up() { [[ $(prop ActiveState) == failed && $(prop NRestarts) == 0 ]]; }
restarted_from() { local p; p=$(main_pid); [[ $p != 0 && $p != "$1" && $(prop ActiveState) == active ]]; }
# A short download through the gateway; status 0 when its bytes are right.
through() { dev_curl --max-time 10 -o "$CASE_DIR/through.bin" https://big.example.test/mid.bin 2>/dev/null &&
  [[ $(sha "$CASE_DIR/through.bin") == "$MID_SHA" ]]; }
ms_between() { echo $(((${2%.*} - ${1%.*}) / 1000)); } # two monotonic µs stamps -> ms

# readme_block HEADING: the commands of the first ```sh block after the README's line HEADING, one a line, the
# comments cut off: the cases run the README's own lines, so what it tells an operator cannot go stale.
readme_block() {
  awk -v h="$1" '$0 == h { f = 1; next } f && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b' "$ROOT/README.md" |
    sed -e 's/[[:space:]]\+#.*$//' -e '/^#/d' -e '/^$/d'
}
# readme_line HEADING PREFIX: the line of that block that starts with PREFIX (the case fails when there is none).
readme_line() {
  local l
  l=$(readme_block "$1" | grep -m 1 -F -- "$2") || fail "README.md, '$1': no command starting '$2'"
  [[ $l == "$2"* ]] || fail "README.md, '$1': '$l' does not start with '$2'"
  printf '%s\n' "$l"
}

# write_package_config NAMES [EXTRA_RULE]: the suite's configuration (write_sluice_config) with the access log in
# /var/log/sluice, as $SD_DIR/gateway.yaml and then as the booted system's /etc/sluice/gateway.yaml.
write_package_config() {
  SLUICE_CONF=$SD_DIR/gateway.yaml ACCESS_LOG_SETTING=/var/log/sluice/access.log write_sluice_config "$@"
  put "$SD_DIR/gateway.yaml" /etc/sluice/gateway.yaml
}

# operator_edits: what README "Install" has the operator edit: gateway.yaml, and the LAN interface and the proxy
# (by name) in iptables.env.
operator_edits() {
  write_package_config big.example.test
  shown sed -i -e "s/^SLUICE_IPT_LAN_IF=.*/SLUICE_IPT_LAN_IF=$GW_LAN_IF/" \
    -e "s/^SLUICE_IPT_PROXY=.*/SLUICE_IPT_PROXY=$TLS_PROXY_NAME/" /etc/sluice/iptables.env
}

# ---- setup, in the main shell: the two packages, the boot ----
sd_setup() {
  local v prev t0
  SD_DIR=$T/systemd
  SD_TRANSCRIPT=$SD_DIR/transcript.txt
  mkdir -p "$SD_DIR"
  : >"$SD_TRANSCRIPT"
  # The suite's own gateway and rules go away: from here the gateway is the booted system's.
  if alive "$SLUICE_PID"; then stop_pids "$SLUICE_PID"; fi
  sluice_iptables down >/dev/null 2>&1 || true
  NEW_DEB=$(ls -t "$ROOT"/gateway/target/sluice_*_all.deb 2>/dev/null | head -n 1)
  [[ -n $NEW_DEB && ! $NEW_DEB -ot $JAR ]] || { log "e2e: no package as new as $JAR (mvn -q -DskipTests package makes it)"; return 1; }
  # The earlier version: this package with a lower version number (0.1.0~0-1 sorts before 0.1.0~BUILDTIME-1 and
  # before 0.1.0-1). Its files and scripts are this build's: what is tested is dpkg's upgrade from one installed
  # version to the next, with an operator's edits, as the maintainer scripts handle it.
  v=$(dpkg-deb -f "$NEW_DEB" Version)
  prev=${v%%[~-]*}~0-1
  dpkg --compare-versions "$prev" lt "$v" || { log "e2e: $prev is not lower than $v"; return 1; }
  dpkg-deb -R "$NEW_DEB" "$SD_DIR/prev"
  sed -i "s/^Version: .*/Version: $prev/" "$SD_DIR/prev/DEBIAN/control"
  PREV_DEB=$SD_DIR/sluice_${prev}_all.deb
  dpkg-deb --root-owner-group -b "$SD_DIR/prev" "$PREV_DEB" >/dev/null
  rm -rf "$SD_DIR/prev"
  t0=$(now_ms)
  booted_rootfs || return 1
  say "# root file system ready in $(secs_since "$t0")s ($BOOTED_LOWER)"
  t0=$(now_ms)
  booted_start "$NS_GW" || return 1
  ACCESS_LOG=/proc/$BOOTED_PID/root/var/log/sluice/access.log # the booted gateway's, read from the host
  say "# booted to 'running' in $(secs_since "$t0")s: systemd $(booted systemctl --version | head -n 1 | cut -d' ' -f2) as PID 1 (host PID $BOOTED_PID) in $NS_GW"
  booted mkdir -p /root/prev /root/new /root/repo
  booted_copy "$PREV_DEB" "/root/prev/${PREV_DEB##*/}"
  booted_copy "$NEW_DEB" "/root/new/${NEW_DEB##*/}"
  # The README's `apt install ./...deb` asks before it installs; the answer an operator gives.
  printf 'APT::Get::Assume-Yes "true";\n' | booted tee /etc/apt/apt.conf.d/90assume-yes >/dev/null
  # The name sluice-iptables resolves (at `up`) for the proxy, as corporate DNS would answer it.
  printf '%s %s\n' "$SQUID_IP" "$TLS_PROXY_NAME" | booted tee -a /etc/hosts >/dev/null
}

# ---- the cases ----
case_deb_lintian() {
  local out rc=0
  out=$(lintian --pedantic --info "$NEW_DEB" 2>&1) || rc=$?
  {
    printf '$ dpkg -c %s\n' "${NEW_DEB##*/}"
    dpkg -c "$NEW_DEB"
    printf '$ lintian --pedantic --info %s\n%s\n(exit %d)\n' "${NEW_DEB##*/}" "$out" "$rc"
  } | tee -a "$SD_TRANSCRIPT"
  ! grep -q '^E: ' <<<"$out" || fail "lintian reports errors: $(grep '^E: ' <<<"$out" | head -n 1)"
  note "no errors; $(grep -c '^W: ' <<<"$out") warnings (in the transcript)"
}

case_deb_install() {
  local t0 secs mode cmd
  cmd=$(readme_line "## Install" "apt install ")
  t0=$(now_ms)
  shown bash -c "cd /root/prev && $cmd" || fail "$cmd failed"
  secs=$(secs_since "$t0")
  shown dpkg-query -W -f '${Package} ${Version} ${Status}\n' sluice
  [[ $(booted systemctl is-enabled sluice.service) == enabled ]] || fail "sluice.service is not enabled after install"
  [[ $(booted systemctl is-active sluice.service) == inactive ]] || fail "sluice.service runs before it was configured"
  [[ $(booted systemctl is-enabled sluice-iptables.service) == disabled ]] || fail "sluice-iptables.service was enabled"
  shown getent passwd sluice || fail "no sluice user"
  mode=$(shown stat -c '%a %U:%G %n' /etc/sluice/gateway.yaml /var/log/sluice /var/cache/sluice/sluice.jsa)
  grep -q '^640 root:sluice /etc/sluice/gateway.yaml$' <<<"$mode" || fail "gateway.yaml is not 0640 root:sluice"
  grep -q '^750 sluice:sluice /var/log/sluice$' <<<"$mode" || fail "/var/log/sluice is not 0750 sluice:sluice"
  grep -q ' /var/cache/sluice/sluice.jsa$' <<<"$mode" || fail "postinst made no class-data archive"
  note "apt install in ${secs}s: enabled, not started; sluice user; gateway.yaml 0640 root:sluice; archive made"
}

case_deb_start() {
  local t0 secs ready_ms cmd
  # The operator's edits, and a proxy password of theirs (which must outlive a purge).
  operator_edits
  booted install -m 0640 -g sluice /dev/null /etc/sluice/proxy.pass
  printf 'not-a-real-password\n' | booted tee /etc/sluice/proxy.pass >/dev/null
  cmd=$(readme_line "## Install" "systemctl enable --now ")
  t0=$(now_ms)
  shown bash -c "$cmd" || fail "$cmd failed"
  secs=$(secs_since "$t0")
  # Type=notify: systemctl start returns once Sluice sent READY=1, which it sends once its listener is bound.
  [[ $(prop ActiveState) == active ]] || fail "systemctl returned, but sluice.service is $(prop ActiveState)"
  sd_listening || fail "systemctl start returned before the listener was bound"
  ready_ms=$(ms_between "$(prop ExecMainStartTimestampMonotonic)" "$(prop ActiveEnterTimestampMonotonic)")
  shown systemctl status sluice.service --no-pager -n 4 || true
  shown sluice-iptables show || true
  GO_WORK=$T/go-systemd case_go # a fresh module cache: case 1's would answer without a connection
  note "enable --now returned in ${secs}s, active (READY=1) ${ready_ms} ms after exec; go mod download through it: $(head -n 1 "$CASE_DIR/note")"
}

case_deb_reload() {
  local c out=$T/work/sd-inflight.bin cpid rc=0
  c=$(cursor)
  dev_curl -o /dev/null https://blocked.example.test/mid.bin 2>/dev/null && fail "blocked.example.test is let through before the reload"
  dev_curl --limit-rate 12M -o "$out" https://big.example.test/big.bin 2>"$CASE_DIR/inflight.err" &
  cpid=$!
  wait_for 10 "the download to be under way" at_least $((2 * 1024 * 1024)) "$out" || fail "the download did not start"
  write_package_config "big.example.test, blocked.example.test"
  shown systemctl reload sluice.service || fail "systemctl reload failed"
  wait_for 10 "'configuration reloaded' in the journal" journal_has "$c" "configuration reloaded" || fail "no 'configuration reloaded'"
  alive "$cpid" || fail "the download ended before the reload: nothing was in flight"
  dev_curl -o /dev/null https://blocked.example.test/mid.bin || fail "the new rule is not in force after the reload"
  wait "$cpid" || rc=$?
  ((rc == 0)) && [[ $(sha "$out") == "$BIG_SHA" ]] || fail "the download across the reload: curl exit $rc, sha256 differs"
  rm -f "$out"
  # A broken file: refused, said in the journal at priority err, the service stays active on the rules it has.
  c=$(cursor)
  write_package_config "big.example.test, blocked.example.test" "$GHOST_RULE"
  shown systemctl reload sluice.service || fail "systemctl reload (of a broken file) failed"
  wait_for 10 "'reload refused' in the journal" journal_has "$c" "reload refused" || fail "no 'reload refused' in the journal"
  wait_for 5 "journalctl -p err to show the refusal and its error" err_shows "$c" "reload refused" "gateway.yaml:[0-9]*:[0-9]*: .*ghost" ||
    fail "journalctl -p err does not show the refusal and its error"
  shown journalctl -u sluice.service --since="@$c" -p err -o short-precise --no-pager >/dev/null
  [[ $(prop ActiveState) == active ]] || fail "sluice.service is $(prop ActiveState) after a refused reload"
  dev_curl -o /dev/null https://blocked.example.test/mid.bin || fail "after the refused reload the rules in force changed"
  write_package_config "big.example.test, blocked.example.test"
  shown systemctl reload sluice.service
  note "reload: new rule in force, download in flight sha256 equal; broken file: refused (journalctl -p err names it), still active"
}

case_deb_watchdog() {
  local pid t0 secs n0 c
  c=$(cursor)
  pid=$(main_pid)
  [[ $pid =~ ^[1-9][0-9]*$ ]] || fail "sluice.service has no main process (MainPID '$pid')" # kill -STOP 0: the group
  n0=$(prop NRestarts)
  shown kill -STOP "$pid"
  t0=$(now_ms)
  # WatchdogSec=30s: no ping for 30 s, systemd kills it (SIGABRT), Restart=on-failure starts it again 2 s later.
  wait_for 50 "systemd to restart the stopped gateway" restarted_from "$pid" || fail "not restarted within 50 s of SIGSTOP"
  secs=$(secs_since "$t0")
  booted journalctl -u sluice.service --since="@$c" -o short-precise --no-pager >"$CASE_DIR/journal.txt"
  grep -E 'systemd\[1\]: sluice.service: (Watchdog timeout|Killing|Main process exited|Scheduled restart|Started)' \
    "$CASE_DIR/journal.txt" | tee -a "$SD_TRANSCRIPT"
  grep -q "Watchdog timeout" "$CASE_DIR/journal.txt" || fail "the journal has no 'Watchdog timeout'"
  (($(prop NRestarts) == n0 + 1)) || fail "NRestarts went from $n0 to $(prop NRestarts), expected one restart"
  through || fail "no tunnel through the restarted gateway"
  note "SIGSTOP -> watchdog timeout -> restarted and ready ${secs}s later (WatchdogSec=30s, RestartSec=2s); tunnels work again"
}

case_deb_stop_drain() {
  local out=$T/work/sd-128.bin cpid rc=0 t0 secs c
  [[ -f $T/www/big128.bin ]] || head -c $((128 * 1024 * 1024)) /dev/urandom >"$T/www/big128.bin"
  c=$(cursor)
  dev_curl --limit-rate 24M --max-time 90 -o "$out" https://big.example.test/big128.bin 2>"$CASE_DIR/curl.err" &
  cpid=$!
  wait_for 10 "the download to be under way" at_least $((16 * 1024 * 1024)) "$out" || fail "the download did not start"
  t0=$(now_ms)
  shown systemctl stop sluice.service || fail "systemctl stop failed"
  secs=$(secs_since "$t0")
  wait "$cpid" || rc=$?
  ((rc == 0)) || fail "the download cut by the stop (curl exit $rc): $(cat "$CASE_DIR/curl.err")"
  [[ $(sha "$out") == "$(sha "$T/www/big128.bin")" ]] || fail "the 128 MiB download across the stop: sha256 differs"
  rm -f "$out"
  ((${secs%.*} < 20)) || fail "the stop took ${secs}s, longer than shutdown.drain (20s)"
  journal_since "$c" | grep -E "not accepting|drained|stopped|Stopped|Deactivated" | tee -a "$SD_TRANSCRIPT"
  journal_has "$c" "drained: all 1 connection finished" || fail "no 'drained: all 1 connection finished' in the journal"
  [[ $(prop ActiveState) == inactive && $(prop Result) == success ]] ||
    fail "after the stop: $(prop ActiveState), result $(prop Result) (exit 143 must count as success, no restart)"
  note "systemctl stop during a 128 MiB download returned after ${secs}s; download sha256 equal; inactive, result success"
}

case_deb_refuses() {
  local c rc=0 status first
  shown systemctl start sluice.service || fail "sluice.service does not start with the good configuration"
  # A configuration edited into an invalid state, then a restart: the gateway stops, and ExecStartPre's check
  # refuses to start it again.
  write_package_config big.example.test "$GHOST_RULE"
  c=$(cursor)
  shown systemctl restart sluice.service || rc=$?
  ((rc != 0)) || fail "systemctl restart with a broken configuration succeeded"
  # Restart=on-abnormal: an exit status is not retried (another try would fail the same way): failed at once.
  wait_for 5 "the unit to fail, not retried" gave_up || fail "after a start that cannot work: $(prop ActiveState), NRestarts $(prop NRestarts)"
  status=$(shown systemctl status sluice.service --no-pager -n 10 || true)
  first=$(sluice check --config "$SD_DIR/gateway.yaml" 2>&1 | head -n 1 | sed "s|$SD_DIR/gateway.yaml|/etc/sluice/gateway.yaml|") || true
  grep -qF -- "$first" <<<"$status" || fail "systemctl status does not show check's first error: $first"
  grep -qF -- "$first" < <(journal_since "$c" -p err) || fail "journalctl -p err does not show check's error"
  write_package_config big.example.test
  shown systemctl reset-failed sluice.service || true
  # A Java older than 17 (a JAVA_HOME that names one): the launcher says so, and systemd does not retry.
  trap java11_remove EXIT
  booted mkdir -p /opt/java11/bin /etc/systemd/system/sluice.service.d
  printf '#!/bin/sh\necho "java 11 must not run" >&2\nexit 1\n' | booted tee /opt/java11/bin/java >/dev/null
  booted chmod 755 /opt/java11/bin/java
  printf 'JAVA_VERSION="11.0.24"\n' | booted tee /opt/java11/release >/dev/null
  printf '[Service]\nEnvironment=JAVA_HOME=/opt/java11\n' | booted tee /etc/systemd/system/sluice.service.d/java11.conf >/dev/null
  booted systemctl daemon-reload
  c=$(cursor)
  rc=0
  shown systemctl start sluice.service || rc=$?
  ((rc != 0)) || fail "sluice.service started with Java 11"
  wait_for 5 "the unit to fail, not retried" gave_up || fail "with Java 11: $(prop ActiveState), NRestarts $(prop NRestarts)"
  shown systemctl status sluice.service --no-pager -n 3 || true
  journal_since "$c" -p err | sort -u | tee "$CASE_DIR/java.txt" | tee -a "$SD_TRANSCRIPT"
  grep -q "sluice: Java 17 or later is needed; found Java 11 (11.0.24) at /opt/java11/bin/java (from JAVA_HOME=/opt/java11)" \
    "$CASE_DIR/java.txt" || fail "the journal does not say Java 17 is needed"
  ! grep -q "must not run" "$CASE_DIR/java.txt" || fail "the launcher ran Java 11"
  java11_remove
  shown systemctl start sluice.service || fail "could not start again with the configuration put back"
  note "broken file: restart refused, not retried, status shows check's first error; Java 11: refused with the launcher's line, not retried"
}

java11_remove() {
  booted rm -rf /etc/systemd/system/sluice.service.d /opt/java11
  booted systemctl daemon-reload
  booted systemctl reset-failed sluice.service || true
}

case_deb_upgrade() {
  local pid sum t0 probe probe_pid secs gap restart_ms jsa
  sum=$(booted sha256sum /etc/sluice/gateway.yaml)
  pid=$(main_pid)
  [[ $pid != 0 ]] || fail "sluice.service is not running before the upgrade"
  # A developer who keeps connecting: one short download after another, each logged with its time and status.
  probe=$CASE_DIR/probe.txt
  (while :; do
    t0=$(now_ms)
    if dev_curl --connect-timeout 2 --max-time 5 -o /dev/null https://big.example.test/mid.bin 2>/dev/null; then
      echo "$t0 ok"
    else
      echo "$t0 failed"
    fi
  done) >"$probe" &
  probe_pid=$!
  wait_for 10 "the probe's first download" grep -q ok "$probe" || fail "the probe does not get through before the upgrade"
  t0=$(now_ms)
  shown bash -c "cd /root/new && $(readme_line "## Install" "apt install ")" || { kill "$probe_pid"; fail "the upgrade failed"; }
  secs=$(secs_since "$t0")
  wait_for 15 "the probe to get through after the upgrade" bash -c "tail -n 1 '$probe' | grep -q ok" || true
  kill "$probe_pid" 2>/dev/null; wait "$probe_pid" 2>/dev/null || true
  shown dpkg-query -W -f '${Version}\n' sluice
  [[ $(booted dpkg-query -W -f '${Version}' sluice) == "$(dpkg-deb -f "$NEW_DEB" Version)" ]] || fail "the new version is not installed"
  [[ $(booted sha256sum /etc/sluice/gateway.yaml) == "$sum" ]] || fail "the operator's gateway.yaml changed in the upgrade"
  [[ -z $(booted find /etc/sluice -name '*.dpkg-*') ]] || fail "dpkg left .dpkg-* files: $(booted find /etc/sluice -name '*.dpkg-*')"
  restarted_from "$pid" || fail "sluice.service was not restarted by the upgrade (MainPID $pid, now $(main_pid))"
  # The longest run of refused downloads, against the restart (the old JVM's stop to the new one's READY=1).
  gap=$(awk '$2 == "failed" { if (!s) s = $1; e = $1 } $2 == "ok" { if (s && e - s > g) g = e - s; s = 0 } END { print g + 0 }' "$probe")
  restart_ms=$(ms_between "$(prop InactiveExitTimestampMonotonic)" "$(prop ActiveEnterTimestampMonotonic)")
  say "# upgrade: apt-get install ${secs}s; probe downloads: $(grep -c ok "$probe") ok, $(grep -c failed "$probe") failed, longest failing run ${gap} ms; the new JVM's start to READY=1: ${restart_ms} ms"
  grep -q ok <(tail -n 1 "$probe") || fail "the probe does not get through after the upgrade"
  ((gap <= restart_ms + 1500)) || fail "downloads failed for ${gap} ms, longer than the restart (${restart_ms} ms + 1.5 s)"
  # A Java update: a package that installs a file under /usr/lib/jvm, as a JDK update does, activates the file
  # trigger; postinst remakes the class-data archive.
  jsa=$(booted stat -c %y /var/cache/sluice/sluice.jsa)
  mkdir -p "$SD_DIR/jvm-update/DEBIAN" "$SD_DIR/jvm-update/usr/lib/jvm"
  printf 'Package: e2e-jvm-update\nVersion: 1\nArchitecture: all\nMaintainer: e2e <e2e@example.invalid>\nDescription: a file under /usr/lib/jvm\n' \
    >"$SD_DIR/jvm-update/DEBIAN/control"
  : >"$SD_DIR/jvm-update/usr/lib/jvm/.e2e-jvm-update"
  dpkg-deb --root-owner-group -b "$SD_DIR/jvm-update" "$SD_DIR/e2e-jvm-update.deb" >/dev/null
  booted_copy "$SD_DIR/e2e-jvm-update.deb" /root/e2e-jvm-update.deb
  shown dpkg -i /root/e2e-jvm-update.deb | grep -i 'trigger' || true
  [[ $(booted stat -c %y /var/cache/sluice/sluice.jsa) != "$jsa" ]] || fail "a package under /usr/lib/jvm did not make postinst remake the archive"
  booted dpkg -r e2e-jvm-update >/dev/null
  note "$(prop ActiveState), gateway.yaml kept; probe failures for at most ${gap} ms (start to READY=1 ${restart_ms} ms); Java-update trigger remade the archive"
}

case_deb_security() {
  local out score
  out=$(shown systemd-analyze security sluice.service --no-pager) || true
  score=$(sed -n 's/.*Overall exposure level for sluice.service: \([0-9.]*\).*/\1/p' <<<"$out")
  [[ -n $score ]] || fail "no exposure score"
  awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "exposure $score, more than 1.5"
  note "exposure level $score"
}

case_deb_purge() {
  local left
  shown apt-get remove -y sluice || fail "apt-get remove failed"
  [[ $(booted systemctl is-active sluice.service) != active ]] || fail "still running after remove"
  [[ -z $(in_ns "$NS_GW" iptables-save -t nat | grep -- '-j SLUICE') ]] || fail "the capture rules outlived the package"
  shown ls -l /etc/sluice || true
  shown apt-get purge -y sluice || fail "apt-get purge failed"
  left=$(shown find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /root \) -prune -o \
    \( -name '*sluice*' -o -user sluice -o -group sluice \) -print | tail -n +2)
  [[ $left == "/etc/sluice
/etc/sluice/proxy.pass" ]] || fail "after purge, left: $(tr '\n' ' ' <<<"$left") (expected only /etc/sluice/proxy.pass)"
  shown dpkg-query -W -f '${Status}\n' sluice || true
  note "remove: stopped, rules gone; purge: only the operator's /etc/sluice/proxy.pass (and the user, by design) left"
}

case_manual_install() {
  local script
  # The README's route without the package, line by line, from the files of this build (after the purge: the
  # sluice user is still there, as the package leaves it).
  for f in gateway/target/sluice.jar bin/sluice bin/sluice-cds iptables/sluice-iptables conf/gateway.yaml \
    conf/jvm.options conf/iptables.env conf/logrotate/sluice systemd/sluice.service systemd/sluice-iptables.service; do
    booted mkdir -p "/root/repo/${f%/*}"
    booted_copy "$ROOT/$f" "/root/repo/$f"
  done
  script=$(readme_block "### Without the package")
  [[ -n $script ]] || fail "README.md has no commands under '### Without the package'"
  shown bash -euxc "cd /root/repo; $script" || fail "the README's commands without the package failed"
  operator_edits
  shown bash -c "$(readme_line "## Install" "systemctl enable --now ")" || fail "systemctl enable --now failed"
  through || fail "no tunnel through the gateway installed by hand"
  note "$(wc -l <<<"$script") README lines run as they are; started, a tunnel carried"
}

sd_case S0 deb-lintian case_deb_lintian
sd_case S1 deb-install case_deb_install
sd_case S2 deb-start-go case_deb_start
sd_case S3 deb-reload case_deb_reload
sd_case S4 deb-watchdog case_deb_watchdog
sd_case S5 deb-stop-drain case_deb_stop_drain
sd_case S6 deb-refuses case_deb_refuses
sd_case S7 deb-upgrade case_deb_upgrade
sd_case S8 deb-security case_deb_security
sd_case S9 deb-purge case_deb_purge
sd_case S10 manual-install case_manual_install
