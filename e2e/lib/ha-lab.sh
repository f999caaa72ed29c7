# shellcheck shell=bash
# The HA lab: two Sluice gateways on one LAN behind keepalived (VRRPv3), as README.md's "Two gateways" sets them
# up, with the keepalived configurations the project ships (conf/keepalived/*.conf, rendered with sed) and its
# /readyz probe (conf/keepalived/sluice-ready). Sourced by e2e/run, which defines T, CA, JAR, IPT_SCRIPT, the
# suite's proxy and internet hosts (NS_PROXY, SQUID_IP, SQUID_PORT, INET_IP, NAMES) and the helpers (setup_failed,
# launcher, ...; in_ns, wait_for, wait_service and the other lab helpers come from lib/netns.sh).
# See e2e/README.md, "The HA lab". Its cases are in lib/ha-cases.sh.
#
#  hdev1 192.168.79.11 ─┐   hsw: bridge hlan        hgw1 lan0 192.168.79.2      corp0 100.64.79.1 ──┐  proxy (the suite's)
#   default via .79.1   │   (multicast_snooping 0:  keepalived, Sluice :8443,                        ├─ Squid 198.51.100.2:3128
#  hdev2 192.168.79.12 ─┼── VRRP's 224.0.0.18       sluice-iptables --lan-if lan0                    │  (ha1 100.64.79.2,
#   default via .79.254 │   passes)                 hgw2 lan0 192.168.79.3      corp0 100.64.79.5 ──┘   ha2 100.64.79.6)
#                       └── virtual addresses: 192.168.79.1 (A), 192.168.79.254 (B, active-active only)
#
# Neither gateway has a route to the internet host: each reaches only Squid (a host route over its own corporate
# link), so a developer's connection works only when the gateway that holds its default route captures it. The
# suite's Squid allows the two corporate addresses (e2e/run, start_squid).
#
# Exported for the cases (paths under $T/ha-lab):
#   HA_NS_SW HA_NS_GW1 HA_NS_GW2 HA_NS_DEV1 HA_NS_DEV2   the namespaces
#   HA_VIP_A HA_VIP_B              the virtual addresses (B only in the active-active configuration)
#   HA_GW_IP_1 HA_GW_IP_2          each gateway's own LAN address (the handoff's --peer)
#   HA_DEV_IP_1 HA_DEV_IP_2        the developers'
#   HA_CORP_IP_1 HA_CORP_IP_2      each gateway's corporate address (Squid's access.log names it)
#   HA_LAN_IF HA_LISTEN_PORT HA_IPT_PORTS
#   HA_BIG HA_BIG_SHA HA_BIG_SIZE  the 48 MiB object on big.example.test (/ha48.bin) and its sha256
#   HA_CHECKS                      the setup's check lines
#   HA_SYN4 HA_FORWARD             the DNS pair's synthetic IPv4 range and dns.forward (case ha-dns-pair)
# Files per gateway N, in $T/ha-lab/gwN: gateway.yaml (the standard configuration), gateway-dns.yaml (the DNS
# pair's), keepalived-{ap,aa,dns}.conf (rendered from conf/keepalived), the logs, pid files and dns-state.
# Functions: ha_lab_topology, ha_lab_prepare, ha_lab_start, ha_lab_wait, ha_lab_iptables, ha_lab_check,
# ha_lab_evidence; per gateway N (1 or 2): ha_sluice_start N [CONFIG ADMIN], ha_sluice_pid N, ha_sluice_wait N SKIP,
# ha_ready N, ha_keepalived_start N ap|aa|dns, ha_keepalived_stop N, ha_iptables N [OPTION...] ACTION,
# ha_admin N PATH, ha_admin_addr N / ha_lan_admin_addr N, ha_holds N VIP; ha_dev N CMD... (developer N's command:
# env -i, no proxy setting).

HA_NS_SW=${PREFIX}hsw
HA_NS_GW1=${PREFIX}hgw1
HA_NS_GW2=${PREFIX}hgw2
HA_NS_DEV1=${PREFIX}hdev1
HA_NS_DEV2=${PREFIX}hdev2
HA_LAN_IF=lan0
HA_VIP_A=192.168.79.1
HA_VIP_B=192.168.79.254
HA_GW_IP_1=192.168.79.2
HA_GW_IP_2=192.168.79.3
HA_DEV_IP_1=192.168.79.11
HA_DEV_IP_2=192.168.79.12
HA_CORP_IP_1=100.64.79.1
HA_CORP_IP_2=100.64.79.5
HA_CORP_PEER_1=100.64.79.2 # the proxy host's end of each gateway's corporate link
HA_CORP_PEER_2=100.64.79.6
HA_LISTEN_PORT=8443
HA_IPT_PORTS=443
HA_ADMIN_PORT_1=9111 # not the shipped 9091: the rendering of the keepalived configuration must replace it
HA_ADMIN_PORT_2=9112
HA_SYN4=198.18.0.0/15  # the DNS pair's synthetic IPv4 range (ha-dns-pair; sluice-iptables --synthetic)
HA_FORWARD=192.0.2.53  # dns.forward: the DNS lab's unbound, which the HA gateways cannot reach; ha-dns-pair asks
                       # only a name a rule routes, which the responder answers itself
HA_BIG_PATH=/ha48.bin
HA_BIG_SIZE=$((48 * 1024 * 1024))

ha_set_paths() {
  HA=$T/ha-lab
  HA_CHECKS=$HA/checks.txt
  HA_BIG=$T/www${HA_BIG_PATH}
}
ha_ns() { local v=HA_NS_GW$1; echo "${!v}"; }
ha_dev_ns() { local v=HA_NS_DEV$1; echo "${!v}"; }
ha_gw_ip() { local v=HA_GW_IP_$1; echo "${!v}"; }
ha_admin_addr() { local v=HA_ADMIN_PORT_$1; echo "127.0.0.1:${!v}"; }
# ha_lan_admin_addr N: the admin address of the DNS pair's configuration (the peer pulls from it).
ha_lan_admin_addr() { local v=HA_ADMIN_PORT_$1; echo "$(ha_gw_ip "$1"):${!v}"; }
ha_peer() { echo $((3 - $1)); }
ha_dir() { echo "$HA/gw$1"; }

# ---- topology ----
ha_lab_topology() {
  local ns n
  ha_set_paths
  for ns in "$HA_NS_SW" "$HA_NS_GW1" "$HA_NS_GW2" "$HA_NS_DEV1" "$HA_NS_DEV2"; do add_namespace "$ns"; done
  # The LAN: a bridge in a namespace of its own (the switch), one port per box. Multicast snooping off: the
  # bridge would otherwise forward VRRP's 224.0.0.18 only to ports that joined the group by IGMP.
  in_ns "$HA_NS_SW" ip link add hlan type bridge mcast_snooping 0
  in_ns "$HA_NS_SW" ip link set hlan up
  for n in 1 2; do
    add_veth "$(ha_ns "$n")" "$HA_LAN_IF" "$HA_NS_SW" "gw$n"
    add_veth "$(ha_dev_ns "$n")" eth0 "$HA_NS_SW" "dev$n"
    in_ns "$HA_NS_SW" ip link set "gw$n" master hlan
    in_ns "$HA_NS_SW" ip link set "dev$n" master hlan
  done
  add_addrs "$HA_NS_GW1" "$HA_LAN_IF" "$HA_GW_IP_1/24"
  add_addrs "$HA_NS_GW2" "$HA_LAN_IF" "$HA_GW_IP_2/24"
  add_addrs "$HA_NS_DEV1" eth0 "$HA_DEV_IP_1/24"
  add_addrs "$HA_NS_DEV2" eth0 "$HA_DEV_IP_2/24"
  # Developer 1's gateway is address A, developer 2's is B (it exists only in the active-active configuration).
  in_ns "$HA_NS_DEV1" ip route add default via "$HA_VIP_A"
  in_ns "$HA_NS_DEV2" ip route add default via "$HA_VIP_B"
  # Each gateway's corporate link to the suite's proxy host, and a route to Squid only.
  add_veth "$HA_NS_GW1" corp0 "$NS_PROXY" ha1
  add_veth "$HA_NS_GW2" corp0 "$NS_PROXY" ha2
  add_addrs "$HA_NS_GW1" corp0 "$HA_CORP_IP_1/30"
  add_addrs "$HA_NS_GW2" corp0 "$HA_CORP_IP_2/30"
  add_addrs "$NS_PROXY" ha1 "$HA_CORP_PEER_1/30"
  add_addrs "$NS_PROXY" ha2 "$HA_CORP_PEER_2/30"
  in_ns "$HA_NS_GW1" ip route add "$SQUID_IP/32" via "$HA_CORP_PEER_1"
  in_ns "$HA_NS_GW2" ip route add "$SQUID_IP/32" via "$HA_CORP_PEER_2"
  for n in 1 2; do in_ns "$(ha_ns "$n")" sysctl -qw net.ipv4.ip_forward=1; done
  # The developers' names all point at the internet host, as public DNS would.
  for ns in "$HA_NS_DEV1" "$HA_NS_DEV2"; do
    for n in "${NAMES[@]}"; do printf '%s %s\n' "$INET_IP" "$n"; done >>"/etc/netns/$ns/hosts"
  done
}

# ---- files ----
# ha_write_sluice_config N: gateway N's Sluice: the suite's listener and rules, Squid as the only proxy, the admin
# listener on its own port, and a drain long enough for the planned switch-over (ha-handoff) to finish within it.
ha_write_sluice_config() {
  local d
  d=$(ha_dir "$1")
  {
    echo "# Written by e2e/lib/ha-lab.sh: gateway $1 of the HA lab (namespace $(ha_ns "$1"))."
    ha_config_common "$d"
    echo "admin: { listen: $(ha_admin_addr "$1") }"
  } >"$d/gateway.yaml"
}

# ha_config_common DIR: what every gateway configuration of the lab has (listener, clients, Squid, rules, access
# log in DIR, a drain long enough for ha-handoff's downloads).
ha_config_common() {
  cat <<EOF
listeners:
  - { name: https, listen: 0.0.0.0:$HA_LISTEN_PORT, transparent: redirect, default_port: 443 }
clients: [192.168.79.0/24]
upstreams:
  corp:
    proxies: [http://$SQUID_IP:$SQUID_PORT]
rules:
  - { name: go, sni: [proxy.golang.org, sum.golang.org], action: splice, upstream: corp }
  - { name: testsites, sni: [big.example.test], action: splice, upstream: corp }
  - { name: default, action: reject }
timeouts: { client_hello: 5s, connect: 3s, idle: 2m }
access_log: $1/access.log
shutdown: { drain: 60s }
EOF
}

# ha_write_dns_config N: gateway N's configuration for the DNS pair (case ha-dns-pair): the same as
# ha_write_sluice_config, plus the DNS responder on the virtual address A and dns.pair with the other box; the admin
# listener on the box's LAN address (the other box pulls the name table from it), open to both boxes.
ha_write_dns_config() {
  local d p
  d=$(ha_dir "$1")
  p=$(ha_peer "$1")
  mkdir -p "$d/dns-state"
  {
    echo "# Written by e2e/lib/ha-lab.sh: gateway $1 of the HA lab (namespace $(ha_ns "$1")), half $1 of a DNS pair."
    ha_config_common "$d"
    cat <<EOF
admin: { listen: $(ha_lan_admin_addr "$1"), clients: [$(ha_gw_ip "$1")/32, $(ha_gw_ip "$p")/32] }
dns:
  listen: [$HA_VIP_A:53]
  forward: [$HA_FORWARD]
  synthetic: { ipv4: $HA_SYN4 }
  state_dir: $d/dns-state
  pair: { peer: http://$(ha_lan_admin_addr "$p"), half: $1 }
EOF
  } >"$d/gateway-dns.yaml"
}

# keepalived refuses (enable_script_security) a script that a non-root user could change: the script and every
# directory above it must be root's and not writable by group or others (a sticky directory such as /tmp is
# fine). ha_secure_path FILE: true if FILE's path is so.
ha_secure_path() {
  local p=$1 owner mode
  while [[ -n $p && $p != / ]]; do
    read -r owner mode < <(stat -L -c '%u %a' "$p") || return 1
    [[ $owner == 0 ]] || return 1
    # group- or other-writable is fine only for a sticky directory
    if (((8#$mode & 8#022) != 0)) && { [[ ! -d $p ]] || (((8#$mode & 8#1000) == 0)); }; then return 1; fi
    p=$(dirname "$p")
  done
}

# ha_render_keepalived N ap|aa|dns: gateway N's keepalived.conf, made from the shipped file with sed only: the LAN
# interface, the virtual address(es), router_id, the priorities, the probe's path and Sluice's admin address (dns:
# active-passive with the admin listener of the DNS pair's configuration, on the LAN address). In
# the shipped files the first box has priority 100 (and 90 for the active-active second address); the second box
# gets 90 (and 100): each box the higher priority for its home address.
ha_render_keepalived() {
  local n=$1 mode=$2 src d out
  d=$(ha_dir "$n")
  out=$d/keepalived-$mode.conf
  local admin
  admin=$(ha_admin_addr "$n")
  [[ $mode != dns ]] || admin=$(ha_lan_admin_addr "$n")
  if [[ $mode != aa ]]; then src=$ROOT/conf/keepalived/keepalived.conf; else src=$ROOT/conf/keepalived/keepalived-active-active.conf; fi
  local swap=()
  # the second box swaps the priorities: 100 -> 90 and 90 -> 100 (through a placeholder)
  ((n == 1)) || swap=(-e 's/priority 100 /priority @HI@ /' -e 's/priority 90 /priority 100 /' -e 's/priority @HI@ /priority 90 /')
  sed -e "s/\beth1\b/$HA_LAN_IF/g" \
    -e "s#\b10\.0\.0\.1/24#$HA_VIP_A/24#g" -e "s#\b10\.0\.0\.2/24#$HA_VIP_B/24#g" \
    -e "s/router_id sluice-gw1/router_id sluice-hgw$n/" \
    "${swap[@]}" \
    -e "s#/usr/share/sluice/bin/sluice-ready#$HA_READY#" \
    -e "s#127\.0\.0\.1:9091#$admin#" "$src" >"$out"
  # Every site-specific value was replaced: nothing of the shipped example is left.
  if grep -nE '\beth1\b|10\.0\.0\.|/usr/share/sluice|127\.0\.0\.1:9091|sluice-gw1' "$out" >&2; then
    setup_failed "HA lab: rendering $src left the example's values (above) in $out"
  fi
}

ha_lab_prepare() {
  local n
  ha_set_paths
  mkdir -p "$HA/bin" "$HA/gw1" "$HA/gw2" "$HA/work"
  : >"$HA_CHECKS"
  # The probe: the repository's own, unless its path is not secure enough for keepalived; then a copy in a
  # root-owned 0755 directory of the run's (under /tmp, which is sticky).
  HA_READY=$ROOT/conf/keepalived/sluice-ready
  if ! ha_secure_path "$HA_READY"; then
    install -m 0755 -o root -g root "$HA_READY" "$HA/bin/sluice-ready"
    HA_READY=$HA/bin/sluice-ready
  fi
  for n in 1 2; do
    ha_write_sluice_config "$n"
    ha_render_keepalived "$n" ap
    ha_render_keepalived "$n" aa
    ha_write_dns_config "$n"
    ha_render_keepalived "$n" dns
  done
  # 48 MiB for the switch-over's downloads: the first 48 MiB of the suite's random 64 MiB file.
  head -c "$HA_BIG_SIZE" "$T/www/big.bin" >"$HA_BIG"
  HA_BIG_SHA=$(sha "$HA_BIG")
}

# ---- daemons ----
ha_sluice_pid() { cat "$(ha_dir "$1")/sluice.pid"; }
ha_stderr() { echo "$(ha_dir "$1")/sluice.stderr"; }
# ha_sluice_start N [CONFIG ADMIN]: gateway N's Sluice, as the suite starts its own (bin/sluice, this run's jar,
# conf/jvm.options), with gwN/gateway.yaml (or CONFIG, whose admin listener is ADMIN); stdout and stderr appended
# to (a restart keeps the earlier lines). Its pid goes to gwN/sluice.pid, its configuration and admin address to
# gwN/sluice.conf and gwN/admin.addr (what ha_ready asks).
ha_sluice_start() {
  local d conf admin
  d=$(ha_dir "$1")
  conf=${2:-$d/gateway.yaml}
  admin=${3:-$(ha_admin_addr "$1")}
  printf '%s\n' "$conf" >"$d/sluice.conf"
  printf '%s\n' "$admin" >"$d/admin.addr"
  launcher
  ip netns exec "$(ha_ns "$1")" "${LAUNCHER[@]}" run --config "$conf" \
    >>"$d/sluice.stdout" 2>>"$d/sluice.stderr" {LOCK_FD}<&- &
  printf '%s\n' "$!" >"$d/sluice.pid"
  disown "$!" # the cases kill it with SIGKILL: no "Killed" job report from the shell that started it
}
# ha_sluice_bound N SKIP: after the first SKIP lines of its stderr, gateway N's listener is bound.
ha_sluice_bound() { grep -q "listener https bound to" < <(tail -n +$(($2 + 1)) "$(ha_stderr "$1")" 2>/dev/null); }
# ha_sluice_wait N SKIP: waits (30 s) until gateway N's Sluice (started after SKIP stderr lines) is bound and
# /readyz answers 200 (what keepalived's probe asks).
ha_sluice_wait() {
  wait_service "HA gateway $1's Sluice" "$(ha_sluice_pid "$1")" 30 ha_sluice_bound "$1" "$2" &&
    wait_service "HA gateway $1's Sluice to be ready" "$(ha_sluice_pid "$1")" 10 ha_ready "$1"
}
# ha_ready N: the shipped probe, run in gateway N's namespace as keepalived runs it, says ready.
ha_ready() {
  in_ns "$(ha_ns "$1")" setpriv --reuid=nobody --regid=nogroup --clear-groups "$HA_READY" "$(cat "$(ha_dir "$1")/admin.addr")"
}
ha_stderr_lines() { count_in "$(ha_stderr "$1")" ""; }

ha_keepalived_log() { echo "$(ha_dir "$1")/keepalived.log"; }
# ha_keepalived_start N ap|aa: keepalived in gateway N's namespace with the rendered configuration, in the
# foreground of its own background job, logging to gwN/keepalived.log (appended) and not to syslog. Every pid
# file is in gwN: namespaces share the file system, so two keepalived must not share /run's defaults.
ha_keepalived_start() {
  local d
  d=$(ha_dir "$1")
  ip netns exec "$(ha_ns "$1")" keepalived -n -l -D -G -f "$d/keepalived-$2.conf" -p "$d/keepalived.pid" \
    -r "$d/keepalived-vrrp.pid" -c "$d/keepalived-checkers.pid" -b "$d/keepalived-bfd.pid" \
    >>"$d/keepalived.log" 2>&1 {LOCK_FD}<&- &
  printf '%s\n' "$!" >"$d/keepalived.pid.job"
}
# ha_keepalived_stop N: SIGTERM (keepalived sends priority 0 and removes its addresses), waits (10 s) for it to
# exit; no-op when it does not run.
ha_keepalived_stop() {
  local pid
  pid=$(cat "$(ha_dir "$1")/keepalived.pid.job" 2>/dev/null) || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    wait_for 10 "HA gateway $1's keepalived to exit" bash -c "! kill -0 $pid 2>/dev/null" || return 1
  fi
  rm -f "$(ha_dir "$1")/keepalived.pid.job"
}
# ha_holds N VIP: gateway N has VIP on its LAN interface.
# (grep reads a process substitution, not a pipe: ip writes each address apart, and under pipefail `ip | grep -q`
# fails when grep has its match and exits before ip's next write, which cost HA3 a CI run.)
ha_holds() { grep -q " $2/" < <(in_ns "$(ha_ns "$1")" ip -4 -o addr show dev "$HA_LAN_IF"); }
ha_lacks() { ! ha_holds "$@"; }

ha_lab_start() {
  ha_sluice_start 1
  ha_sluice_start 2
  BG_PIDS+=("$(ha_sluice_pid 1)" "$(ha_sluice_pid 2)")
}
ha_lab_wait() {
  local n
  for n in 1 2; do
    ha_sluice_wait "$n" 0 ||
      setup_failed "HA lab: gateway $n's Sluice is not ready: $(grep -m 1 -E 'ERROR|Exception' "$(ha_stderr "$n")")"
  done
}

# ha_iptables N ACTION...: the project's sluice-iptables in gateway N with the lab's options.
ha_iptables() {
  local n=$1
  shift
  in_ns "$(ha_ns "$n")" "$IPT_SCRIPT" --mode redirect --lan-if "$HA_LAN_IF" --ports "$HA_IPT_PORTS" \
    --listen-port "$HA_LISTEN_PORT" --proxy "$SQUID_IP" "$@"
}
ha_lab_iptables() {
  local n
  for n in 1 2; do
    ha_iptables "$n" up >"$(ha_dir "$n")/iptables-up.log" 2>&1 ||
      { cat "$(ha_dir "$n")/iptables-up.log" >&2; setup_failed "sluice-iptables up failed in HA gateway $n (output above)"; }
  done
}

# ---- what the cases use ----
ha_dev() {
  local n=$1
  shift
  in_ns "$(ha_dev_ns "$n")" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$HA/work" "$@"
}
ha_admin() { in_ns "$(ha_ns "$1")" curl -sS --max-time 5 "http://$(ha_admin_addr "$1")$2"; }
ha_access_log() { echo "$(ha_dir "$1")/access.log"; }

# ---- the lab's checks (no keepalived, no capture): what the ha- cases rely on ----
ha_check() { lab_check ha-lab "$HA/checks.log" "$HA_CHECKS" HA_FAILED "$@"; } # DESCRIPTION CMD...
# ha_via_squid N: from gateway N, the module list through Squid (its corporate link, Squid's ACL).
ha_via_squid() {
  local body
  body=$(in_ns "$(ha_ns "$1")" curl -sS --max-time 5 --cacert "$CA" -x "http://$SQUID_IP:$SQUID_PORT" \
    "https://proxy.golang.org/$MODULE/@v/list") || return 1
  printf 'gw%s: GET https://proxy.golang.org/%s/@v/list via Squid: %s\n' "$1" "$MODULE" "$body"
  [[ $body == "$MODULE_VERSION" ]]
}
# ha_no_way_out N: gateway N has no route to the internet host.
ha_no_way_out() { ! in_ns "$(ha_ns "$1")" curl -sS --connect-timeout 2 -o /dev/null "http://$INET_IP/"; }
# ha_conf_ok N MODE: keepalived accepts the rendered configuration (keepalived -t).
# keepalived 2.2.7's -t ends a good check by SIGTERM to itself (exit 143) and a bad one with exit 5 and the errors
# printed: good is 0 or 143 with nothing printed.
ha_conf_ok() {
  local out rc=0
  out=$(in_ns "$(ha_ns "$1")" keepalived -t -f "$(ha_dir "$1")/keepalived-$2.conf" 2>&1) || rc=$?
  printf 'gw%s keepalived -t %s: exit %s %s\n' "$1" "$2" "$rc" "$out"
  [[ ($rc == 0 || $rc == 143) && -z $out ]]
}
# ha_reaches NS IP: from NS, a TCP connection to IP's port 1 is refused at once (there is no ping here): IP
# answered, and NS learnt its link address.
ha_reaches() {
  local rc=0
  in_ns "$1" curl -sS --connect-timeout 2 "http://$2:1/" || rc=$?
  ((rc == 7)) && in_ns "$1" ip neigh show "$2" | grep -q lladdr
}
# ha_lan_ok: the LAN's bridge carries unicast between the boxes, and does not snoop multicast.
ha_lan_ok() {
  ha_reaches "$HA_NS_GW1" "$HA_GW_IP_2" && ha_reaches "$HA_NS_GW2" "$HA_DEV_IP_1" &&
    ha_reaches "$HA_NS_DEV2" "$HA_GW_IP_1" &&
    [[ $(in_ns "$HA_NS_SW" cat /sys/class/net/hlan/bridge/multicast_snooping) == 0 ]]
}

ha_lab_check() {
  local n
  HA_FAILED=0
  : >"$HA_CHECKS"
  ha_check "LAN bridge: gw1 -> gw2, gw2 -> dev1, dev2 -> gw1; multicast_snooping 0" ha_lan_ok
  for n in 1 2; do
    ha_check "gw$n: module list through Squid over its corporate link" ha_via_squid "$n"
    ha_check "gw$n: no route to $INET_IP" ha_no_way_out "$n"
    ha_check "gw$n: keepalived -t accepts keepalived-ap.conf" ha_conf_ok "$n" ap
    ha_check "gw$n: keepalived -t accepts keepalived-aa.conf" ha_conf_ok "$n" aa
    ha_check "gw$n: keepalived -t accepts keepalived-dns.conf" ha_conf_ok "$n" dns
  done
  ((HA_FAILED == 0)) ||
    setup_failed "HA lab: $HA_FAILED check(s) failed: $(grep -m 1 FAIL "$HA_CHECKS" | cut -d' ' -f3-) (details in $HA/checks.log)"
}

# For e2e/run's evidence: "description:file" of the lab's logs.
ha_lab_evidence() {
  local n
  printf '%s\n' "ha lab checks:$T/ha-lab/checks.log"
  for n in 1 2; do
    printf '%s\n' "ha gw$n sluice stderr:$T/ha-lab/gw$n/sluice.stderr" "ha gw$n access log:$T/ha-lab/gw$n/access.log" \
      "ha gw$n keepalived log:$T/ha-lab/gw$n/keepalived.log"
  done
}
