# shellcheck shell=bash
# The HA lab's cases (lib/ha-lab.sh): two Sluice gateways behind keepalived with the shipped configurations. A
# box dies or loses its LAN link and the other serves a new `go mod download` within HA_TARGET_MS; both boxes
# carry traffic in the active-active configuration; a planned switch-over moves the address without cutting a
# download. Sourced by e2e/run. Each case starts the pair afresh (ha_pair_up) and leaves it stopped, both Sluices
# running (ha_case_end).

HA_TARGET_MS=3000 # issue #20: a new connection is served within 3 s of the holder's failure
HA_RACE_STEP=0.25 # a new go mod download every 0.25 s ...
HA_RACE_TIMEOUT=3 # ... each given 3 s ...
HA_RACE_FOR_MS=8000 # ... for at most 8 s after the failure

ha_log_lines() { count_in "$(ha_keepalived_log "$1")" ""; }
# ha_first_after FILE SKIP TEXT: the first line after the first SKIP lines of FILE that holds TEXT, or nothing;
# status 1 when there is none. (awk reads the file itself: a grep that stops early at the end of a pipe would
# fail it under pipefail.)
ha_first_after() { awk -v s="$2" -v t="$3" 'NR > s && index($0, t) { print; found = 1; exit } END { exit !found }' "$1"; }
# ha_log_has N SKIP TEXT: gateway N's keepalived log has, after its first SKIP lines, a line with TEXT.
ha_log_has() { ha_first_after "$(ha_keepalived_log "$1")" "$2" "$3" >/dev/null; }
# ha_log_line N SKIP TEXT: the first such line (keepalived's own time stamp and words), or nothing.
ha_log_line() { ha_first_after "$(ha_keepalived_log "$1")" "$2" "$3" || true; }

# ha_sluice_up N: gateway N's Sluice runs and is ready; restarted (and waited for) if it died.
ha_sluice_up() {
  local skip
  alive "$(ha_sluice_pid "$1")" && return 0
  skip=$(ha_stderr_lines "$1")
  ha_sluice_start "$1"
  ha_sluice_wait "$1" "$skip" || fail "HA gateway $1's Sluice did not come back after a restart"
}

# ha_pair_up ap|aa|dns: both Sluices ready, both keepalived started afresh with the configuration of that mode, and
# the addresses where they belong: ap, gw1 MASTER of A and gw2 BACKUP; aa, gw1 holds A and gw2 B. The
# developers' neighbour caches are emptied (the address's owner may have changed since their last packet).
ha_pair_up() {
  local mode=$1 skip2 n
  ha_keepalived_stop 1 || fail "gw1's keepalived does not stop"
  ha_keepalived_stop 2 || fail "gw2's keepalived does not stop"
  ha_sluice_up 1
  ha_sluice_up 2
  in_ns "$HA_NS_GW1" ip link set "$HA_LAN_IF" up
  skip2=$(ha_log_lines 2)
  if [[ $mode != aa ]]; then
    # gw1 first: with nopreempt, whoever is MASTER keeps the address, so gw1 must be MASTER before gw2 starts.
    ha_keepalived_start 1 "$mode"
    wait_for 10 "gw1 to hold $HA_VIP_A" ha_holds 1 "$HA_VIP_A" || fail "gw1's keepalived did not take $HA_VIP_A"
    ha_keepalived_start 2 "$mode"
    wait_for 10 "gw2's keepalived to enter BACKUP" ha_log_has 2 "$skip2" "(sluice_lan) Entering BACKUP STATE" ||
      fail "gw2's keepalived did not enter BACKUP"
  else
    # Both at once: the instances preempt, so each address ends on its home box whichever started first.
    ha_keepalived_start 1 aa
    ha_keepalived_start 2 aa
    wait_for 10 "gw1 to hold A and gw2 B" ha_split || fail "the addresses did not settle: gw1 A, gw2 B"
  fi
  ha_holds 2 "$HA_VIP_A" && fail "gw2 holds $HA_VIP_A too"
  for n in 1 2; do in_ns "$(ha_dev_ns "$n")" ip neigh flush dev eth0; done
  return 0
}
ha_split() { ha_holds 1 "$HA_VIP_A" && ha_lacks 1 "$HA_VIP_B" && ha_holds 2 "$HA_VIP_B" && ha_lacks 2 "$HA_VIP_A"; }

# ha_case_end: the trap of every ha- case, pass or fail: the LAN link up, background downloads stopped,
# keepalived stopped on both boxes, a dead Sluice restarted (so the next case starts as this one did).
ha_case_end() {
  local rc=$? pid ns n
  set +e
  for pid in ${HA_BG_PIDS[@]+"${HA_BG_PIDS[@]}"}; do kill -TERM "$pid" 2>/dev/null; done
  # what those jobs started in the developers' namespaces (curl, go): the namespaces are the lab's own
  for ns in "$HA_NS_DEV1" "$HA_NS_DEV2"; do
    # shellcheck disable=SC2046 # a list of pids
    kill -TERM $(ip netns pids "$ns") 2>/dev/null
  done
  in_ns "$HA_NS_GW1" ip link set "$HA_LAN_IF" up
  ha_keepalived_stop 1
  ha_keepalived_stop 2
  for n in 1 2; do
    # a Sluice left draining (a case that failed during a switch-over) would not be ready for the next case; one
    # with the DNS pair's configuration is replaced by the standard one, and so are its capture rules
    if [[ $(cat "$(ha_dir "$n")/sluice.conf") != "$(ha_dir "$n")/gateway.yaml" ]]; then
      ha_iptables "$n" up >&2
    fi
    if alive "$(ha_sluice_pid "$n")" && { ! ha_ready "$n" || [[ $(cat "$(ha_dir "$n")/sluice.conf") != "$(ha_dir "$n")/gateway.yaml" ]]; }; then
      kill -KILL "$(ha_sluice_pid "$n")"
      wait_for 5 "gw$n's Sluice to be gone" bash -c "! kill -0 $(ha_sluice_pid "$n") 2>/dev/null"
    fi
    ha_sluice_up "$n" >&2
  done
  chmod -R u+w "$HA/work/$CASE_NAME" 2>/dev/null && rm -rf "$HA/work/$CASE_NAME"
  exit "$rc"
}
ha_case() {
  HA_BG_PIDS=()
  HA_W=$HA/work/$CASE_NAME
  mkdir -p "$HA_W"
  trap ha_case_end EXIT
}

# ---- new go mod downloads, one every HA_RACE_STEP s, until one succeeds ----
# ha_go_attempt N DIR I: attempt I from developer N: the suite's go mod download (env -i, GOPROXY, a fresh
# GOMODCACHE of its own, the test CA), at most HA_RACE_TIMEOUT s; appends "I START_MS END_MS EXIT" to DIR/attempts.
ha_go_attempt() {
  local n=$1 w=$2/$3 t0 rc=0
  mkdir -p "$w/empty" "$w/home"
  t0=$(now_ms)
  (cd "$w/empty" && ha_dev "$n" env HOME="$w/home" GOPATH="$w/gopath" GOMODCACHE="$w/gopath/pkg/mod" GOCACHE="$w/cache" \
    GOPROXY=https://proxy.golang.org GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local SSL_CERT_FILE="$CA" \
    timeout "$HA_RACE_TIMEOUT" go mod download -json "$MODULE@$MODULE_VERSION") >"$w/go.json" 2>"$w/go.err" || rc=$?
  printf '%s %s %s %s\n' "$3" "$t0" "$(now_ms)" "$rc" >>"$2/attempts"
}
# ha_race N DIR T0_MS: attempts from developer N (started one every HA_RACE_STEP s from now, until one has
# succeeded or HA_RACE_FOR_MS after T0) and waits for them all. Prints "MS I STARTED": the time from T0 until
# the first attempt succeeded (its end), that attempt's number, and how many were started; "none - STARTED" if
# none did. The winner's Sum must be the module's h1: hash.
ha_race() {
  local n=$1 dir=$2 t0=$3 i=1 pids=() first ms sum
  mkdir -p "$dir"
  : >"$dir/attempts"
  while (($(now_ms) - t0 < HA_RACE_FOR_MS)); do
    ha_go_attempt "$n" "$dir" "$i" &
    pids+=($!)
    i=$((i + 1))
    sleep "$HA_RACE_STEP"
    awk '$4 == 0 { ok = 1 } END { exit !ok }' "$dir/attempts" && break
  done
  wait "${pids[@]}" 2>/dev/null || true
  sort -n "$dir/attempts" >&2
  first=$(awk '$4 == 0' "$dir/attempts" | sort -k3,3n | head -n 1)
  if [[ -z $first ]]; then
    echo "none - $((i - 1))"
    return 0
  fi
  read -r first _ ms _ <<<"$first"
  sum=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("Sum") or d.get("Error"))' "$dir/$first/go.json")
  [[ $sum == "$MODULE_H1" ]] || fail "developer $n's first successful go mod download says Sum '$sum', want $MODULE_H1"
  echo "$((ms - t0)) $first $((i - 1))"
}
secs_of() { awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'; }

# ha_poll_vip N VIP T0 FILE: in the background, writes to FILE the ms from T0 until gateway N holds VIP.
ha_poll_vip() {
  (
    until ha_holds "$1" "$2"; do sleep 0.05; done
    echo $(($(now_ms) - $3)) >"$4"
  ) &
  HA_BG_PIDS+=($!)
}

# ---- downloads in flight ----
# ha_inflight N COUNT RATE FILE_PATH: COUNT curls from developer N of https://big.example.test/FILE_PATH, at RATE
# each, into $HA_W/inflight.I (exit status in .rc when done); returns once each has 1 MiB.
ha_inflight() {
  local n=$1 count=$2 rate=$3 path=$4 i
  for i in $(seq 1 "$count"); do
    (
      rc=0
      ha_dev "$n" curl -sS --cacert "$CA" --connect-timeout 5 --max-time 90 --speed-time 5 --speed-limit 1000 \
        --limit-rate "$rate" -o "$HA_W/inflight.$i" "https://big.example.test$path" 2>"$HA_W/inflight.$i.err" || rc=$?
      now_ms >"$HA_W/inflight.$i.end"
      echo "$rc" >"$HA_W/inflight.$i.rc"
    ) &
    HA_BG_PIDS+=($!)
  done
  for i in $(seq 1 "$count"); do
    wait_for 15 "download $i to be under way" at_least $((1024 * 1024)) "$HA_W/inflight.$i" ||
      fail "in-flight download $i did not start: $(cat "$HA_W/inflight.$i.err")"
  done
}
# ha_inflight_reset: the next ha_inflight starts from nothing.
ha_inflight_reset() { rm -f "$HA_W"/inflight.*; }
# ha_tunnels N: how many connections gateway N's Sluice has accepted and holds (established, to its listener).
ha_tunnels() { in_ns "$(ha_ns "$1")" ss -Htn state established "( sport = :$HA_LISTEN_PORT )" | wc -l; }
# ha_inflight_end COUNT WANT_SHA WAIT_S: waits (WAIT_S) for the downloads to end; prints how many did not arrive
# byte-exact (exit status not 0 or sha256 not WANT_SHA); each one's fate goes to the case's log.
ha_inflight_end() {
  local count=$1 want=$2 i lost=0 rc
  for i in $(seq 1 "$count"); do
    wait_for "$3" "download $i to end" test -f "$HA_W/inflight.$i.rc" || true
    rc=$(cat "$HA_W/inflight.$i.rc" 2>/dev/null || echo running)
    if [[ $rc == 0 && $(sha "$HA_W/inflight.$i") == "$want" ]]; then
      log "download $i: complete, sha256 right"
    else
      log "download $i: exit $rc after $(size_of "$HA_W/inflight.$i") bytes: $(tail -n 1 "$HA_W/inflight.$i.err" 2>/dev/null)"
      lost=$((lost + 1))
    fi
  done
  echo "$lost"
}

# ha_served_by N SKIP DEV_N SNI: gateway N's access log has, after SKIP, a line ok for SNI from developer DEV_N.
ha_served_by() {
  local dev_ip=HA_DEV_IP_$3
  alog count "$(ha_access_log "$1")" "$2" "sni=$4" outcome=ok "client~^$(rx "${!dev_ip}"):" | grep -qv '^0$'
}
ha_alog_lines() { local f; f=$(ha_access_log "$1"); if [[ -f $f ]]; then wc -l <"$f"; else echo 0; fi; }
ha_expect_served() { # N SKIP DEV_N SNI
  wait_for 5 "gw$1's access log to show $4 from developer $3" ha_served_by "$@" ||
    { alog show "$(ha_access_log "$1")" "$2" >&2 || true; fail "gw$1's access log has no ok line for $4 from developer $3"; }
}

# ---- failover: kill -9 or link down on gw1, active-passive ----
# ha_failover HOW: HOW is kill9 or linkdown. Four downloads through gw1, then the failure; a new go mod download
# must be served within HA_TARGET_MS, by gw2.
ha_failover() {
  local how=$1 skip_k1 skip_k2 skip_a2 sq t0 race ms first started vip_ms lost master fault squid_gw2 back_ms
  ha_case
  ha_pair_up ap
  ha_inflight 1 4 4M /big.bin
  (($(ha_tunnels 1) >= 4)) || fail "gw1's Sluice holds $(ha_tunnels 1) connections, want the 4 downloads"
  (($(ha_tunnels 2) == 0)) || fail "gw2's Sluice holds $(ha_tunnels 2) connections before the failure"
  skip_k1=$(ha_log_lines 1)
  skip_k2=$(ha_log_lines 2)
  skip_a2=$(ha_alog_lines 2)
  sq=$(count_in "$T/squid/access.log" "")
  t0=$(now_ms)
  if [[ $how == kill9 ]]; then
    kill -KILL "$(ha_sluice_pid 1)"
  else
    in_ns "$HA_NS_GW1" ip link set "$HA_LAN_IF" down
  fi
  ha_poll_vip 2 "$HA_VIP_A" "$t0" "$HA_W/vip.ms"
  race=$(ha_race 1 "$HA_W/go" "$t0")
  read -r ms first started <<<"$race"
  [[ $ms != none ]] || fail "no new go mod download succeeded within $((HA_RACE_FOR_MS / 1000)) s of the failure ($started tried)"
  wait_for 5 "gw2 to hold $HA_VIP_A" test -s "$HA_W/vip.ms" || fail "gw2 never took $HA_VIP_A"
  vip_ms=$(cat "$HA_W/vip.ms")
  ha_holds 1 "$HA_VIP_A" && fail "gw1 still holds $HA_VIP_A"
  master=$(ha_log_line 2 "$skip_k2" "(sluice_lan) Entering MASTER STATE")
  [[ -n $master ]] || fail "gw2's keepalived did not log 'Entering MASTER STATE'"
  fault=$(ha_log_line 1 "$skip_k1" "(sluice_lan) Entering FAULT STATE")
  [[ -n $fault ]] || fail "gw1's keepalived did not log 'Entering FAULT STATE'"
  ha_expect_served 2 "$skip_a2" 1 proxy.golang.org
  squid_gw2=$(tail -n +$((sq + 1)) "$T/squid/access.log" | grep -c " $(rx "$HA_CORP_IP_2") .*CONNECT proxy.golang.org:443") || true
  ((squid_gw2 > 0)) || fail "Squid logged no CONNECT proxy.golang.org:443 from gw2 ($HA_CORP_IP_2)"
  lost=$(ha_inflight_end 4 "$BIG_SHA" 20)
  log "gw1 keepalived: $fault"
  log "gw2 keepalived: $master"
  ((ms <= HA_TARGET_MS)) ||
    fail "the first new go mod download succeeded $(secs_of "$ms") s after the failure (attempt $first of $started), want <= $(secs_of "$HA_TARGET_MS") s (gw2 held $HA_VIP_A after $(secs_of "$vip_ms") s)"
  ((lost == 4)) || fail "$lost of the 4 downloads through gw1 were lost, want 4 (they were on the failed box)"
  # gw1 comes back (its Sluice started again, or its link up): BACKUP, and gw2 keeps the address (nopreempt).
  skip_k1=$(ha_log_lines 1)
  t0=$(now_ms)
  if [[ $how == kill9 ]]; then ha_sluice_up 1; else in_ns "$HA_NS_GW1" ip link set "$HA_LAN_IF" up; fi
  wait_for 15 "gw1's keepalived to enter BACKUP" ha_log_has 1 "$skip_k1" "(sluice_lan) Entering BACKUP STATE" ||
    fail "gw1's keepalived did not come back as BACKUP"
  back_ms=$(($(now_ms) - t0))
  sleep 1 # two adverts: a preempting gw1 would have taken the address by now
  ha_holds 2 "$HA_VIP_A" && ha_lacks 1 "$HA_VIP_A" || fail "gw1 took $HA_VIP_A back when it came back (nopreempt)"
  local what="kill -9 of gw1's Sluice"
  [[ $how == kill9 ]] || what="gw1's LAN link went down"
  note "new go mod download served $(secs_of "$ms") s after $what (<= $(secs_of "$HA_TARGET_MS"); attempt $first of $started, Sum ok) by gw2 (its access log, Squid from $HA_CORP_IP_2); $HA_VIP_A on gw2 after $(secs_of "$vip_ms") s, gw2 keepalived 'Entering MASTER STATE', gw1 FAULT; in flight on gw1: $lost of 4 lost; gw1 back as BACKUP $(secs_of "$back_ms") s after its $([[ $how == kill9 ]] && echo "Sluice was started again" || echo "link came up"), gw2 kept the address"
}
case_ha_kill9() { ha_failover kill9; }
case_ha_link_down() { ha_failover linkdown; }

# ---- active-active: both boxes carry traffic, then one dies ----
case_ha_active_active() {
  local skip1 skip2 t0 n r1 r2 ms1 ms2 f1 f2 s1 s2 vip_ms
  ha_case
  ha_pair_up aa
  skip1=$(ha_alog_lines 1)
  skip2=$(ha_alog_lines 2)
  for n in 1 2; do
    ha_dev "$n" curl -sS --cacert "$CA" --max-time 20 -o "$HA_W/mid.$n" https://big.example.test/mid.bin ||
      fail "developer $n could not download through its gateway"
    [[ $(sha "$HA_W/mid.$n") == "$MID_SHA" ]] || fail "developer $n's download: sha256 differs"
  done
  ha_expect_served 1 "$skip1" 1 big.example.test
  ha_expect_served 2 "$skip2" 2 big.example.test
  ha_served_by 1 "$skip1" 2 big.example.test && fail "gw1 carried developer 2's connection: its home is gw2"
  ha_served_by 2 "$skip2" 1 big.example.test && fail "gw2 carried developer 1's connection: its home is gw1"
  skip2=$(ha_alog_lines 2)
  t0=$(now_ms)
  kill -KILL "$(ha_sluice_pid 1)"
  ha_poll_vip 2 "$HA_VIP_A" "$t0" "$HA_W/vip.ms"
  ha_race 1 "$HA_W/go1" "$t0" >"$HA_W/race1" &
  r1=$!
  ha_race 2 "$HA_W/go2" "$t0" >"$HA_W/race2" &
  r2=$!
  wait "$r1" || exit 1 # ha_race failed the case (the reason is written)
  wait "$r2" || exit 1
  read -r ms1 f1 s1 <"$HA_W/race1"
  read -r ms2 f2 s2 <"$HA_W/race2"
  [[ $ms1 != none ]] || fail "developer 1 (gateway $HA_VIP_A): no go mod download succeeded within $((HA_RACE_FOR_MS / 1000)) s ($s1 tried)"
  [[ $ms2 != none ]] || fail "developer 2 (gateway $HA_VIP_B): no go mod download succeeded within $((HA_RACE_FOR_MS / 1000)) s ($s2 tried)"
  wait_for 5 "gw2 to hold $HA_VIP_A" test -s "$HA_W/vip.ms" || fail "gw2 never took $HA_VIP_A"
  vip_ms=$(cat "$HA_W/vip.ms")
  ha_holds 2 "$HA_VIP_B" || fail "gw2 lost $HA_VIP_B"
  ha_expect_served 2 "$skip2" 1 proxy.golang.org
  ha_expect_served 2 "$skip2" 2 proxy.golang.org
  ((ms1 <= HA_TARGET_MS)) || fail "developer 1 was served $(secs_of "$ms1") s after gw1's kill -9, want <= $(secs_of "$HA_TARGET_MS") s"
  ((ms2 <= HA_TARGET_MS)) || fail "developer 2 was served $(secs_of "$ms2") s after gw1's kill -9, want <= $(secs_of "$HA_TARGET_MS") s"
  note "before: dev1 via gw1, dev2 via gw2 (access logs); gw1 kill -9: dev1 served by gw2 after $(secs_of "$ms1") s (attempt $f1 of $s1), dev2 after $(secs_of "$ms2") s (attempt $f2 of $s2), both <= $(secs_of "$HA_TARGET_MS"); gw2 held $HA_VIP_A after $(secs_of "$vip_ms") s and $HA_VIP_B throughout"
}

# ---- the planned switch-over (README.md, "Planned maintenance: a switch-over that cuts nothing") ----
HA_HANDOFF_DOWNLOADS=8
HA_HANDOFF_RATE=6M # 48 MiB at 6 MiB/s: 8 s each
HA_CONTROL_DOWNLOADS=3
# ha_handoff_cmd ARGS...: sluice-iptables on gw2 as README.md runs it.
ha_handoff_cmd() { in_ns "$HA_NS_GW2" "$IPT_SCRIPT" --lan-if "$HA_LAN_IF" handoff "$@"; }
# ha_gw2_sysctls: the values handoff may change (the brief named send_redirects as well: it must not change them).
ha_gw2_sysctls() {
  in_ns "$HA_NS_GW2" sysctl net.netfilter.nf_conntrack_tcp_loose net.ipv4.conf.all.send_redirects \
    "net.ipv4.conf.$HA_LAN_IF.send_redirects" | tr '\n' ' ' | sed 's/ $//'
}
# ha_sysctl_story BEFORE DURING: "nf_conntrack_tcp_loose 1 -> 0 -> 1 (restored), send_redirects all 1, lan0 1
# (untouched)" from two ha_gw2_sysctls (the values after --end were checked to be BEFORE's).
ha_sysctl_story() {
  local b d
  read -r _ _ b _ _ _ _ _ _ <<<"$1"
  read -r _ _ d _ _ _ _ _ _ <<<"$2"
  awk -v b="$b" -v d="$d" -v s="$1" -v t="$2" 'BEGIN { split(s, x, " "); split(t, y, " ")
    printf "nf_conntrack_tcp_loose %s -> %s -> %s, send_redirects all %s -> %s, %s %s -> %s", b, d, b, x[6], y[6], "'"$HA_LAN_IF"'", x[9], y[9] }'
}
# ha_gw2_netfilter: gw2's rules and chains of its own, each with its table (iptables-save lists a table once it
# has been used, rules or not: the handoff's first use of mangle and filter leaves them listed, empty), its ip
# rules and routing table 88 (the handoff's).
ha_gw2_netfilter() {
  in_ns "$HA_NS_GW2" iptables-save | awk '/^\*/ { t = $0; next } /^(-A |:[^ ]+ - )/ { sub(/ \[[0-9]+:[0-9]+\]/, ""); print t, $0 }'
  in_ns "$HA_NS_GW2" ip rule list
  echo "table 88:"
  in_ns "$HA_NS_GW2" ip route show table 88 2>/dev/null || true
}
# ha_handed: packets gw2's handoff has marked and routed on to gw1 (the MARK rule's counter).
ha_handed() { in_ns "$HA_NS_GW2" iptables -w -t mangle -L SLUICE_HANDOFF -v -x -n | awk '/MARK/ { print $1 }'; }
# ha_switch_over: steps (b) and (c) of the README: keepalived on gw1 stopped (priority 0: gw2 takes the address),
# then SIGTERM to gw1's Sluice. Sets MOVE_MS (stop -> gw2 holds A) and TERM_AT (ms of the SIGTERM).
ha_switch_over() {
  local t0
  rm -f "$HA_W/move.ms" "$HA_W/exit.ms"
  t0=$(now_ms)
  ha_poll_vip 2 "$HA_VIP_A" "$t0" "$HA_W/move.ms"
  ha_keepalived_stop 1 || fail "gw1's keepalived did not stop on SIGTERM"
  wait_for 5 "gw2 to hold $HA_VIP_A" test -s "$HA_W/move.ms" || fail "gw2 did not take $HA_VIP_A when gw1's keepalived stopped"
  MOVE_MS=$(cat "$HA_W/move.ms")
  ha_lacks 1 "$HA_VIP_A" || fail "gw1 still holds $HA_VIP_A after its keepalived stopped"
  TERM_AT=$(now_ms)
  kill -TERM "$(ha_sluice_pid 1)"
  ha_poll_gone "$(ha_sluice_pid 1)" "$TERM_AT" "$HA_W/exit.ms"
}
# ha_poll_gone PID T0 FILE: in the background, writes to FILE the ms from T0 until PID has exited.
ha_poll_gone() {
  (
    while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
    echo $(($(now_ms) - $2)) >"$3"
  ) &
  HA_BG_PIDS+=($!)
}
ha_sluice_gone() { ! alive "$(ha_sluice_pid 1)"; }

case_ha_handoff() {
  local before_sys before_nf during_sys skip1 skip2 lost exit_ms last_end=0 i e handed drained ctl_lost ctl_left
  ha_case
  ha_pair_up ap
  skip1=$(ha_stderr_lines 1)
  skip2=$(ha_alog_lines 2)
  before_sys=$(ha_gw2_sysctls)
  ha_gw2_netfilter >"$HA_W/netfilter-before.txt"
  ha_inflight 1 "$HA_HANDOFF_DOWNLOADS" "$HA_HANDOFF_RATE" "$HA_BIG_PATH"
  (($(ha_tunnels 1) >= HA_HANDOFF_DOWNLOADS)) || fail "gw1's Sluice holds $(ha_tunnels 1) connections, want the $HA_HANDOFF_DOWNLOADS downloads"
  # (a) on gw2, the box that takes over
  ha_handoff_cmd --peer "$HA_GW_IP_1" >"$HA_W/handoff.out" 2>&1 || fail "handoff --peer failed: $(tail -n 1 "$HA_W/handoff.out")"
  cat "$HA_W/handoff.out" >&2
  during_sys=$(ha_gw2_sysctls)
  [[ $during_sys == *"nf_conntrack_tcp_loose = 0"* ]] || fail "with the handoff installed gw2 has $during_sys, want nf_conntrack_tcp_loose = 0"
  # (b) and (c) on gw1
  ha_switch_over
  # A new connection right after the move: served by gw2.
  ha_dev 1 curl -sS --cacert "$CA" --max-time 20 -o "$HA_W/new.bin" https://big.example.test/mid.bin 2>"$HA_W/new.err" ||
    fail "a new connection after the switch-over failed: $(cat "$HA_W/new.err")"
  [[ $(sha "$HA_W/new.bin") == "$MID_SHA" ]] || fail "the new connection's download: sha256 differs"
  ha_expect_served 2 "$skip2" 1 big.example.test
  lost=$(ha_inflight_end "$HA_HANDOFF_DOWNLOADS" "$HA_BIG_SHA" 60)
  ((lost == 0)) || fail "$lost of the $HA_HANDOFF_DOWNLOADS downloads in flight through gw1 were cut by the switch-over with the handoff"
  for i in $(seq 1 "$HA_HANDOFF_DOWNLOADS"); do
    e=$(cat "$HA_W/inflight.$i.end")
    ((e > last_end)) && last_end=$e
  done
  wait_for 30 "gw1's Sluice to exit after its drain" test -s "$HA_W/exit.ms" || fail "gw1's Sluice still runs 30 s after the downloads"
  exit_ms=$(cat "$HA_W/exit.ms")
  drained=$(ha_first_after "$(ha_stderr 1)" "$skip1" "drained: all ") || fail "gw1's Sluice did not log 'drained: all ...'"
  drained="drained: all ${drained#*drained: all }"
  # it exited by itself once its tunnels were done: within 5 s of the last download, far from the 60 s drain
  ((TERM_AT + exit_ms - last_end < 5000)) || fail "gw1's Sluice exited $((TERM_AT + exit_ms - last_end)) ms after the last download ended"
  ((exit_ms < 30000)) || fail "gw1's Sluice took $exit_ms ms to exit: the drain limit (60 s), not its tunnels, ended it"
  handed=$(ha_handed)
  ((handed > 0)) || fail "gw2's handoff marked no packet: the downloads did not go through gw2"
  # (d) on gw2, once gw1's Sluice has stopped
  ha_handoff_cmd --end >"$HA_W/end.out" 2>&1 || fail "handoff --end failed: $(tail -n 1 "$HA_W/end.out")"
  cat "$HA_W/end.out" >&2
  [[ $(ha_gw2_sysctls) == "$before_sys" ]] || fail "after handoff --end gw2 has $(ha_gw2_sysctls), before it had $before_sys"
  ha_gw2_netfilter >"$HA_W/netfilter-after.txt"
  diff -u "$HA_W/netfilter-before.txt" "$HA_W/netfilter-after.txt" >&2 ||
    fail "after handoff --end gw2's tables, rules or table 88 differ from before (diff in the log)"
  log "handoff: $drained; $handed packets handed to gw1"

  # Control: the same switch-over without the handoff cuts the downloads in flight (so this case can fail).
  ha_pair_up ap
  ha_inflight_reset
  ha_inflight 1 "$HA_CONTROL_DOWNLOADS" "$HA_HANDOFF_RATE" "$HA_BIG_PATH"
  ha_switch_over
  ctl_lost=$(ha_inflight_end "$HA_CONTROL_DOWNLOADS" "$HA_BIG_SHA" 30)
  ((ctl_lost == HA_CONTROL_DOWNLOADS)) ||
    fail "control: without the handoff $ctl_lost of $HA_CONTROL_DOWNLOADS downloads were cut, want all: does the case prove anything?"
  # gw1 never hears of it: the developer's resets go to the address's new holder. Its Sluice keeps those tunnels
  # until they time out or the drain runs out; it is killed here (the case's end starts it again).
  ctl_left=$(ha_tunnels 1)
  kill -KILL "$(ha_sluice_pid 1)"
  wait_for 5 "gw1's Sluice to be gone" ha_sluice_gone || fail "control: gw1's Sluice survived SIGKILL"
  note "handoff: $HA_HANDOFF_DOWNLOADS x 48 MiB in flight on gw1 all complete, sha256 right ($handed packets handed on by gw2); address moved in $(secs_of "$MOVE_MS") s; new connection served by gw2; gw1's Sluice exited $(secs_of "$exit_ms") s after SIGTERM (drain 60 s: '$drained'); --end: $(ha_sysctl_story "$before_sys" "$during_sys"), tables as before; control without handoff: $ctl_lost of $HA_CONTROL_DOWNLOADS cut (reset), gw1 left draining $ctl_left dead tunnels"
}

# ---- the DNS pair: a cached synthetic address survives the failover ----
# ha_dns_names N: gateway N's name table as its peer pulls it (from its own LAN address, in admin.clients).
ha_dns_names() { in_ns "$(ha_ns "$1")" curl -sS --max-time 3 "http://$(ha_lan_admin_addr "$1")/dns/names"; }
# ha_dns_knows N NAME SLOT: gateway N's table holds NAME at SLOT (its lines: "SLOT EXPIRES_MS NAME").
ha_dns_knows() { ha_dns_names "$1" | awk -v n="$2" -v s="$3" '$1 == s && $3 == n { found = 1 } END { exit !found }'; }
# ha_fetch_by_address ADDR FILE: developer 1 fetches https://ADDR/mid.bin: an address, so no SNI; only the name
# table routes it (curl -k: the certificate cannot name the address; the sha256 says what came).
ha_fetch_by_address() { ha_dev 1 curl -sS -k --connect-timeout 2 --max-time 5 -o "$2" "https://$1/mid.bin" && [[ $(sha "$2") == "$MID_SHA" ]]; }
ha_by_table() { # N SKIP ADDR: gateway N's access log has developer 1's connection to ADDR, routed by the DNS table
  alog count "$(ha_access_log "$1")" "$2" "client~^$(rx "$HA_DEV_IP_1"):" "dst=$3:443" name=big.example.test \
    name_from=dns outcome=ok | grep -qv '^0$'
}

case_ha_dns_pair() {
  local n skip conf addr addr2 slot skip1 skip2 t0 ms=none vip_ms tries=0
  ha_case
  # Both boxes restarted with the pair's configuration (DNS on the virtual address, dns.pair, admin on the LAN),
  # and their capture extended to the synthetic range, as the DNS lab's gateway has it.
  for n in 1 2; do
    conf=$(ha_dir "$n")/gateway-dns.yaml
    sluice check --config "$conf" >"$HA_W/check-$n.out" 2>&1 || fail "sluice check refuses $conf: $(head -n 1 "$HA_W/check-$n.out")"
    kill -TERM "$(ha_sluice_pid "$n")"
  done
  for n in 1 2; do
    wait_for 15 "gw$n's Sluice to exit" bash -c "! kill -0 $(ha_sluice_pid "$n") 2>/dev/null" || fail "gw$n's Sluice did not stop"
  done
  for n in 1 2; do
    skip[n]=$(ha_stderr_lines "$n")
    ha_sluice_start "$n" "$(ha_dir "$n")/gateway-dns.yaml" "$(ha_lan_admin_addr "$n")"
    ha_iptables "$n" --synthetic "$HA_SYN4" up >&2 || fail "sluice-iptables --synthetic $HA_SYN4 up failed on gw$n"
  done
  for n in 1 2; do ha_sluice_wait "$n" "${skip[n]}" || fail "gw$n's Sluice with the pair's configuration is not ready"; done
  for n in 1 2; do
    wait_for 10 "gw$n's first pull from its peer" ha_pulled "$n" "${skip[n]}" ||
      fail "gw$n did not pull the name table from its peer: $(ha_first_after "$(ha_stderr "$n")" "${skip[n]}" "dns pair: cannot sync")"
  done
  ha_pair_up dns
  # The developer asks the virtual address (gw1 holds it): an address of gw1's half (odd), which gw2 pulls.
  addr=$(ha_dev 1 dig "@$HA_VIP_A" +time=2 +tries=1 +short big.example.test A) || fail "dig @$HA_VIP_A failed"
  python3 -c 'import ipaddress, sys; a = ipaddress.ip_address(sys.argv[1]); sys.exit(not (a in ipaddress.ip_network(sys.argv[2]) and int(a) % 2 == 1))' \
    "$addr" "$HA_SYN4" || fail "dig @$HA_VIP_A big.example.test gave '$addr', want an odd (half 1: gw1's) address in $HA_SYN4"
  # The slot gw1 gave the name (how slots map to addresses is the table's business), which gw2 must hold too.
  slot=$(ha_dns_names 1 | awk '$3 == "big.example.test" { print $1; exit }')
  [[ -n $slot ]] || { ha_dns_names 1 >&2; fail "gw1's table does not hold big.example.test"; }
  t0=$(now_ms)
  wait_for 5 "gw2 to have pulled big.example.test -> $addr" ha_dns_knows 2 big.example.test "$slot" ||
    fail "gw2's name table has no big.example.test -> $addr 5 s after gw1 answered it"
  log "gw2 had big.example.test -> $addr $(($(now_ms) - t0)) ms after the answer"
  skip1=$(ha_alog_lines 1)
  skip2=$(ha_alog_lines 2)
  ha_fetch_by_address "$addr" "$HA_W/before.bin" || fail "https://$addr/mid.bin (no SNI) did not work through gw1"
  wait_for 5 "gw1's access log" ha_by_table 1 "$skip1" "$addr" || fail "gw1 did not log the connection to $addr routed by the DNS table"
  # gw1 dies; the developer connects to the address it has cached.
  t0=$(now_ms)
  kill -KILL "$(ha_sluice_pid 1)"
  ha_poll_vip 2 "$HA_VIP_A" "$t0" "$HA_W/vip.ms"
  while (($(now_ms) - t0 < HA_RACE_FOR_MS)); do
    tries=$((tries + 1))
    if ha_fetch_by_address "$addr" "$HA_W/after.bin" 2>>"$HA_W/after.err"; then ms=$(($(now_ms) - t0)); break; fi
    sleep "$HA_RACE_STEP"
  done
  [[ $ms != none ]] || fail "https://$addr/mid.bin never worked after gw1's kill -9 ($tries tries in $((HA_RACE_FOR_MS / 1000)) s): $(tail -n 1 "$HA_W/after.err")"
  wait_for 5 "gw2 to hold $HA_VIP_A" test -s "$HA_W/vip.ms" || fail "gw2 never took $HA_VIP_A"
  vip_ms=$(cat "$HA_W/vip.ms")
  wait_for 5 "gw2's access log" ha_by_table 2 "$skip2" "$addr" ||
    fail "gw2 did not log the connection to $addr routed by the DNS table (name_from dns)"
  addr2=$(ha_dev 1 dig "@$HA_VIP_A" +time=2 +tries=1 +short big.example.test A) || fail "dig @$HA_VIP_A (gw2) failed"
  [[ $addr2 == "$addr" ]] || fail "after the failover gw2 answers big.example.test with '$addr2', gw1 had given $addr"
  note "big.example.test -> $addr (gw1's half) via $HA_VIP_A, pulled by gw2; no-SNI https://$addr/ through gw1, then gw1 kill -9: the same cached address served by gw2 (name_from dns) $(secs_of "$ms") s after (try $tries; $HA_VIP_A on gw2 after $(secs_of "$vip_ms") s); gw2 answers the name with the same address"
}
# ha_pulled N SKIP: gateway N logged its first good pull from its peer (after SKIP lines of its stderr).
ha_pulled() { ha_first_after "$(ha_stderr "$1")" "$2" "dns pair: first pull from" >/dev/null; }
