# shellcheck shell=bash
# The DNS lab: a second gateway whose Sluice is the developers' only resolver (the DNS responder), with its own
# LAN and developer machines, a real internal resolver and a real sshd behind a real Squid. Sourced by e2e/run,
# which defines T, CA, MODULE*, the namespaces NS_PROXY and NS_INET, IPT_SCRIPT and the helpers (setup_failed,
# launcher, ...; in_ns, wait_for, wait_service and the other lab helpers come from lib/netns.sh).
# See e2e/README.md, "The DNS lab". Its cases are in lib/dns-cases.sh.
#
#  ddev (dual-stack)       dgw (Sluice with dns:)                proxy (the suite's)          inet (the suite's)
#  192.168.78.2            lan0 (a bridge) 192.168.78.1          dlab0 192.0.2.2, fd00:51::2  eth0 203.0.113.10
#  fd00:78::2      ──┐       fd00:78::1                            Squid "dns" :3128 (both)     nginx :443 (as for
#                    ├──── DNS :53 udp+tcp on both                 CONNECT :443 to the Go names   the suite)
#  ddev6 (IPv6 only) │     Sluice :8453 on 0.0.0.0, [fd00:78::1]   CONNECT :22 to git.example.  sshd :22 (root, key
#  fd00:78::6      ──┘     corp0 192.0.2.1, fd00:51::1 ─────────   test only                    only) bare git repo
#                          no route to 203.0.113.0/24             192.0.2.53, fd00:51::53:
#                          sluice-iptables --ipv6 --synthetic:      unbound: corp.test only,
#                          REDIRECT lan0 tcp/443, and every TCP     NXDOMAIN for all else
#                          port to the synthetic ranges
#
# Why the suite's proxy and internet hosts: they already hold Squid's way to nginx (the Go module content and
# the test CA's certificate for proxy.golang.org) and have no route anywhere else; the lab adds one veth pair
# (dgw corp0 <-> proxy dlab0) on a corporate link of its own, 192.0.2.0/24 (TEST-NET-1) and fd00:51::/64, so
# nothing the suite's gateway or Squid sees changes. The lab's Squid is a second Squid on that link (its own
# configuration and logs: the suite's Squid stays "443 only"), unbound listens only on the lab's addresses (the
# suite's Squids ask 127.0.0.1, where nothing answers), sshd only on 203.0.113.10:22.
#
# The developers' namespaces have a hosts file with localhost only and a resolv.conf naming only the gateway
# (192.168.78.1, or fd00:78::1 for the IPv6-only one): every name they use comes from Sluice's DNS responder.
#
# Exported for the cases (paths under $T/dns-lab, made by dns_lab_prepare):
#   DNS_NS_GW DNS_NS_DEV DNS_NS_DEV6           the three namespaces
#   DNS_GW_IP DNS_GW_IP6                       the gateway's LAN addresses (DNS, the listeners)
#   DNS_DEV_IP DNS_DEV_IP6 DNS_DEV6_IP6        the developers'
#   DNS_GW_CORP_IP DNS_GW_CORP_IP6             the gateway's addresses on the corporate link (Squid sees them)
#   DNS_SQUID_IP DNS_SQUID_IP6 DNS_SQUID_PORT  the lab's Squid; Sluice's upstream is http://[fd00:51::2]:3128
#   DNS_RESOLVER_IP DNS_RESOLVER_IP6           unbound (Sluice's dns.forward is the IPv4 one)
#   DNS_SYN4 DNS_SYN6                          the synthetic ranges (Sluice's defaults)
#   DNS_LISTEN_PORT DNS_ADMIN_PORT DNS_MAX_NAMES
#   DNS_CONF DNS_ACCESS_LOG DNS_STDERR DNS_STATE  Sluice's configuration, access log, stderr, state_dir
#   DNS_REPO DNS_REPO_URL DNS_REPO_HEAD        the bare repository on inet, the developer's URL, its HEAD commit
#   DNS_CHECKS                                 the setup's check lines
# Functions: dns_lab_topology, dns_lab_prepare, dns_lab_start, dns_lab_wait, dns_lab_iptables, dns_lab_check,
# dns_lab_evidence; dns_sluice_start / dns_sluice_stop / dns_sluice_pid (from any shell, the pid is in a file),
# dns_iptables MODE ACTION (sluice-iptables with the lab's options), write_dns_config (listeners in the mode
# DNS_TRANSPARENT says, redirect unless a case changes it; dns_listener4 / dns_listener6 name them),
# dns_dev NS CMD... (a developer's command: env -i, its HOME), dns_admin PATH.

DNS_NS_GW=${PREFIX}dgw
DNS_NS_DEV=${PREFIX}ddev
DNS_NS_DEV6=${PREFIX}ddev6
DNS_GW_IP=192.168.78.1
DNS_GW_IP6=fd00:78::1
DNS_DEV_IP=192.168.78.2
DNS_DEV_IP6=fd00:78::2
DNS_DEV6_IP6=fd00:78::6
DNS_GW_CORP_IP=192.0.2.1
DNS_GW_CORP_IP6=fd00:51::1
DNS_SQUID_IP=192.0.2.2
DNS_SQUID_IP6=fd00:51::2
DNS_SQUID_PORT=3128
DNS_RESOLVER_IP=192.0.2.53
DNS_RESOLVER_IP6=fd00:51::53
DNS_SYN4=198.18.0.0/15
DNS_SYN6=fdec:5c::/96
DNS_LISTEN_PORT=8453
DNS_ADMIN_PORT=9093
# Small, so that case dns-flood reaches a full table: at the default client_qps (200) one client fills it in 5 s.
DNS_MAX_NAMES=1000
DNS_INTERNAL_NAME=wiki.corp.test
DNS_INTERNAL_A=198.51.100.80
DNS_INTERNAL_AAAA=fd00:51::80
DNS_GIT_NAME=git.example.test
# the names the lab's Squid knows (its hosts file; it resolves nothing else)
DNS_SQUID_NAMES=(proxy.golang.org sum.golang.org "$DNS_GIT_NAME")

dns_set_paths() {
  D=$T/dns-lab
  DNS_CONF=$D/sluice/gateway.yaml
  DNS_ACCESS_LOG=$D/sluice/access.log
  DNS_STDERR=$D/sluice/stderr
  DNS_STATE=$D/state
  DNS_REPO=$D/git/repo.git
  DNS_REPO_URL=ssh://root@$DNS_GIT_NAME$DNS_REPO
  DNS_CHECKS=$D/checks.txt
}

# ---- topology ----
# dns_ns_files NS NAMESERVER: the developer's resolv.conf names only the gateway; hosts has localhost only.
dns_ns_files() {
  printf 'nameserver %s\n' "$2" >"/etc/netns/$1/resolv.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$1/hosts"
}
# addr6 NS IF CIDR: an IPv6 address usable at once (nodad: no duplicate address detection to wait for).
addr6() { in_ns "$1" ip -6 addr add "$3" dev "$2" nodad; }

dns_lab_topology() {
  local ns
  dns_set_paths
  for ns in "$DNS_NS_GW" "$DNS_NS_DEV" "$DNS_NS_DEV6"; do add_namespace "$ns"; done
  # The LAN: a bridge in dgw with one port per developer.
  in_ns "$DNS_NS_GW" ip link add lan0 type bridge
  in_ns "$DNS_NS_GW" ip link set lan0 up
  add_veth "$DNS_NS_DEV" eth0 "$DNS_NS_GW" ddev0
  add_veth "$DNS_NS_DEV6" eth0 "$DNS_NS_GW" ddev6
  in_ns "$DNS_NS_GW" ip link set ddev0 master lan0
  in_ns "$DNS_NS_GW" ip link set ddev6 master lan0
  add_addrs "$DNS_NS_GW" lan0 "$DNS_GW_IP/24"
  addr6 "$DNS_NS_GW" lan0 "$DNS_GW_IP6/64"
  add_addrs "$DNS_NS_DEV" eth0 "$DNS_DEV_IP/24"
  addr6 "$DNS_NS_DEV" eth0 "$DNS_DEV_IP6/64"
  addr6 "$DNS_NS_DEV6" eth0 "$DNS_DEV6_IP6/64"
  in_ns "$DNS_NS_DEV" ip route add default via "$DNS_GW_IP"
  in_ns "$DNS_NS_DEV" ip -6 route add default via "$DNS_GW_IP6"
  in_ns "$DNS_NS_DEV6" ip -6 route add default via "$DNS_GW_IP6"
  # The corporate link of the lab: dgw corp0 <-> the suite's proxy host (dlab0).
  add_veth "$DNS_NS_GW" corp0 "$NS_PROXY" dlab0
  add_addrs "$DNS_NS_GW" corp0 "$DNS_GW_CORP_IP/24"
  addr6 "$DNS_NS_GW" corp0 "$DNS_GW_CORP_IP6/64"
  add_addrs "$NS_PROXY" dlab0 "$DNS_SQUID_IP/24" "$DNS_RESOLVER_IP/24"
  addr6 "$NS_PROXY" dlab0 "$DNS_SQUID_IP6/64"
  addr6 "$NS_PROXY" dlab0 "$DNS_RESOLVER_IP6/64"
  in_ns "$DNS_NS_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # lan0 is a bridge only to put both developers on one segment; dgw routes, it does not filter bridged frames.
  # Where the host has br_netfilter loaded, a new namespace starts with bridge-nf-call-ip(6)tables=1 and the IP
  # hooks also run in the bridge's path, before the IP stack: a TPROXY socket assignment made there is dropped
  # when the packet enters it (ip_rcv/ipv6_rcv orphan the skb), so with TPROXY (case dns-tproxy) every connection
  # was refused (IPv6) or timed out (IPv4). REDIRECT does not care. Off, as on a gateway with a plain LAN port.
  if in_ns "$DNS_NS_GW" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
    in_ns "$DNS_NS_GW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
  fi
  dns_ns_files "$DNS_NS_DEV" "$DNS_GW_IP"
  dns_ns_files "$DNS_NS_DEV6" "$DNS_GW_IP6"
}

# ---- files ----
dns_unbound_conf() {
  mkdir -p "$D/unbound"
  cat >"$D/unbound/unbound.conf" <<EOF
# The company's internal resolver: it serves corp.test and knows no other name (no recursion: "." is a static
# zone, so every other name is NXDOMAIN at once and no root server is ever asked).
server:
    interface: $DNS_RESOLVER_IP
    interface: $DNS_RESOLVER_IP6
    port: 53
    do-ip4: yes
    do-ip6: yes
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$D/unbound"
    pidfile: "$D/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    log-queries: yes
    num-threads: 1
    module-config: "iterator"
    access-control: 0.0.0.0/0 refuse
    access-control: ::/0 refuse
    access-control: $DNS_GW_CORP_IP/32 allow
    access-control: $DNS_GW_CORP_IP6/128 allow
    local-zone: "." static
    local-zone: "corp.test." static
    local-data: "corp.test. 3600 IN SOA ns.corp.test. hostmaster.corp.test. 1 3600 600 86400 300"
    local-data: "$DNS_INTERNAL_NAME. 300 IN A $DNS_INTERNAL_A"
    local-data: "$DNS_INTERNAL_NAME. 300 IN AAAA $DNS_INTERNAL_AAAA"
remote-control:
    control-enable: no
EOF
  unbound-checkconf "$D/unbound/unbound.conf" >"$D/unbound/checkconf.log" 2>&1 ||
    { cat "$D/unbound/checkconf.log" >&2; setup_failed "unbound-checkconf rejected the DNS lab's configuration"; }
}

dns_squid_conf() {
  local n
  mkdir -p "$D/squid"
  for n in "${DNS_SQUID_NAMES[@]}"; do printf '%s %s\n' "$INET_IP" "$n"; done >"$D/squid/hosts"
  cat >"$D/squid/squid.conf" <<EOF
# The DNS lab's corporate proxy (IPv4 and IPv6): CONNECT to 443 for the Go names, to 22 for the git host only,
# never to a bare IP address, only from the lab's gateway.
http_port $DNS_SQUID_IP:$DNS_SQUID_PORT
http_port [$DNS_SQUID_IP6]:$DNS_SQUID_PORT
visible_hostname ${PREFIX}dns-proxy
cache_effective_user proxy
pid_filename $D/squid/squid.pid
access_log stdio:$D/squid/access.log
cache_log $D/squid/cache.log
cache_store_log none
netdb_filename none
coredump_dir $D/squid
cache deny all
cache_mem 8 MB
pinger_enable off
shutdown_lifetime 1 seconds
hosts_file $D/squid/hosts
dns_nameservers 127.0.0.1
acl gateway src $DNS_GW_CORP_IP/32 $DNS_GW_CORP_IP6/128
acl CONNECT method CONNECT
acl https_port port 443
acl ssh_port port 22
acl to_ip dstdom_regex ^[0-9.]+\$ ^\[?[0-9a-fA-F]*:[0-9a-fA-F:.]*\]?\$
acl web dstdomain proxy.golang.org sum.golang.org
acl git dstdomain $DNS_GIT_NAME
http_access deny !gateway
http_access deny !CONNECT
http_access deny CONNECT to_ip
http_access allow CONNECT https_port web
http_access allow CONNECT ssh_port git
http_access deny all
EOF
  chown -R proxy:proxy "$D/squid"
  in_ns "$NS_PROXY" squid -k parse -f "$D/squid/squid.conf" >"$D/squid/parse.log" 2>&1 ||
    { tail -n 20 "$D/squid/parse.log" >&2; setup_failed "squid -k parse rejected the DNS lab's configuration"; }
}

# sshd on inet, for root with a key only. No account is made on the host: root's authorized keys are a file in
# $T (AuthorizedKeysFile), and StrictModes is off because that path runs through /tmp (mode 1777), which sshd's
# path check refuses. No PAM (nothing of the host's session stack, no lastlog), no pid file.
dns_sshd_conf() {
  local s=$D/sshd
  mkdir -p "$s"
  ssh-keygen -q -t ed25519 -N '' -C "${PREFIX}dns-lab host" -f "$s/ssh_host_ed25519_key"
  cat >"$s/sshd_config" <<EOF
ListenAddress $INET_IP:22
HostKey $s/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTTY no
LogLevel VERBOSE
EOF
  with_run_sshd /usr/sbin/sshd -t -f "$s/sshd_config" >"$s/test.log" 2>&1 ||
    { cat "$s/test.log" >&2; setup_failed "sshd -t rejected the DNS lab's configuration"; }
}

# with_run_sshd CMD...: CMD in a private mount namespace with a tmpfs on /run holding an empty /run/sshd, the
# privilege separation directory sshd insists on, which the host has not (openssh-server installed, never started):
# the host's /run is left as it is.
# Every step execs the next (unshare, sh, CMD), so started in the background $! is CMD itself.
WITH_RUN_SSHD=(unshare --mount --propagation private sh -c
  'mount -t tmpfs -o mode=755 sluice-e2e-run /run && mkdir -m 755 /run/sshd && exec "$@"' with_run_sshd)
with_run_sshd() { "${WITH_RUN_SSHD[@]}" "$@"; }

# A developer's HOME: an SSH key (authorized on inet) and known_hosts with the git host's key. The developer is
# root here, and ssh finds ~/.ssh through the passwd entry (/root), not $HOME: so HOME also has an ssh config that
# names those two files, and GIT_SSH_COMMAND is "ssh -F $HOME/.ssh/config" (-F: neither /root/.ssh nor
# /etc/ssh/ssh_config is read). BatchMode: an unknown or changed host key fails instead of asking.
dns_home() {
  local h=$D/home-$1
  mkdir -p "$h/.ssh"
  chmod 700 "$h/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C "developer@$1" -f "$h/.ssh/id_ed25519"
  cat "$h/.ssh/id_ed25519.pub" >>"$D/sshd/authorized_keys"
  printf '%s %s\n' "$DNS_GIT_NAME" "$(cut -d' ' -f1,2 "$D/sshd/ssh_host_ed25519_key.pub")" >"$h/.ssh/known_hosts"
  printf 'Host *\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  BatchMode yes\n' \
    "$h/.ssh/id_ed25519" "$h/.ssh/known_hosts" >"$h/.ssh/config"
}

dns_repo() {
  local w=$D/git/work
  git_work "$w"
  printf 'cloned through Sluice: DNS answer, iptables, CONNECT %s:22\n' "$DNS_GIT_NAME" >"$w/README"
  git_commit "$w" "A repository the DNS lab clones"
  git clone -q --bare "$w" "$DNS_REPO"
  DNS_REPO_HEAD=$(git -C "$DNS_REPO" rev-parse HEAD)
}

# The listeners' mode (case dns-tproxy switches the lab to tproxy and back) and their names, which say it: an
# access-log line names the listener that accepted the connection.
DNS_TRANSPARENT=redirect
dns_listener4() { if [[ $DNS_TRANSPARENT == redirect ]]; then echo lab4; else echo "${DNS_TRANSPARENT}4"; fi; }
dns_listener6() { if [[ $DNS_TRANSPARENT == redirect ]]; then echo lab6; else echo "${DNS_TRANSPARENT}6"; fi; }

# write_dns_config: Sluice's configuration for the lab (extra YAML lines for the dns section in DNS_EXTRA), its
# listeners transparent: $DNS_TRANSPARENT. The same addresses serve both modes: REDIRECT and TPROXY (no --on-ip)
# both send to the first address of the incoming interface, fd00:78::1 for IPv6, and the IPv4 wildcard takes the
# rest ("[::]" would overlap 0.0.0.0, which the configuration check refuses).
write_dns_config() {
  mkdir -p "$D/sluice" "$DNS_STATE"
  cat >"$DNS_CONF.new" <<EOF
# Written by e2e/lib/dns-lab.sh: the DNS lab's gateway (namespace $DNS_NS_GW).
listeners:
  - { name: $(dns_listener4), listen: 0.0.0.0:$DNS_LISTEN_PORT, transparent: $DNS_TRANSPARENT, default_port: 443 }
  - { name: $(dns_listener6), listen: "[$DNS_GW_IP6]:$DNS_LISTEN_PORT", transparent: $DNS_TRANSPARENT, default_port: 443 }
clients: [192.168.78.0/24, fd00:78::/64]
upstreams:
  corp:
    proxies: ["http://[$DNS_SQUID_IP6]:$DNS_SQUID_PORT"]
rules:
  - { name: go, sni: [proxy.golang.org, sum.golang.org], action: splice, upstream: corp }
  - { name: git-ssh, sni: [$DNS_GIT_NAME], ports: [22], action: splice, upstream: corp }
  - { name: flood, sni: [.flood.test], action: splice, upstream: corp }
  - { name: blocked, sni: [blocked.example.test], action: reject }
  - { name: default, action: reject }
dns:
  listen: [$DNS_GW_IP:53, "[$DNS_GW_IP6]:53"]
  forward: [$DNS_RESOLVER_IP]
  synthetic: { ipv4: $DNS_SYN4, ipv6: "$DNS_SYN6" }
  state_dir: $DNS_STATE
  limits: { names: $DNS_MAX_NAMES }
${DNS_EXTRA:-}timeouts: { client_hello: 5s, connect: 3s, idle: 2m }
access_log: $DNS_ACCESS_LOG
admin: { listen: 127.0.0.1:$DNS_ADMIN_PORT }
shutdown: { drain: 2s }
EOF
  mv -f "$DNS_CONF.new" "$DNS_CONF"
}

dns_lab_prepare() {
  dns_set_paths
  mkdir -p "$D/git"
  : >"$DNS_CHECKS"
  dns_unbound_conf
  dns_squid_conf
  dns_sshd_conf
  dns_home dev
  dns_home dev6
  chmod 600 "$D/sshd/authorized_keys"
  dns_repo
  write_dns_config
}

# ---- daemons ----
dns_sluice_pid() { cat "$D/sluice/pid"; }
# dns_sluice_start: the lab's Sluice, as the suite starts its own (bin/sluice, this run's jar, conf/jvm.options);
# stdout and stderr are appended to (a restart keeps the first run's lines). Its pid goes to $D/sluice/pid.
dns_sluice_start() {
  launcher
  ip netns exec "$DNS_NS_GW" "${LAUNCHER[@]}" run --config "$DNS_CONF" \
    >>"$D/sluice/stdout" 2>>"$DNS_STDERR" {LOCK_FD}<&- &
  printf '%s\n' "$!" >"$D/sluice/pid"
}
# dns_sluice_ready SKIP: after the first SKIP lines of stderr, both listeners are bound (in the mode the
# configuration says) and the responder listens on both addresses.
dns_sluice_ready() {
  local log
  log=$(tail -n +$(($1 + 1)) "$DNS_STDERR" 2>/dev/null) || return 1
  grep -q "listener $(dns_listener4) bound to .*(transparent $DNS_TRANSPARENT," <<<"$log" &&
    grep -q "listener $(dns_listener6) bound to .*(transparent $DNS_TRANSPARENT," <<<"$log" &&
    grep -qF "dns responder listening on $DNS_GW_IP:53 (udp, tcp)" <<<"$log" &&
    grep -qF "dns responder listening on [$DNS_GW_IP6]:53 (udp, tcp)" <<<"$log"
}
# dns_sluice_stop: SIGTERM, then waits (10 s) for the JVM to exit.
dns_sluice_stop() {
  local pid
  pid=$(dns_sluice_pid)
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_for 10 "the DNS lab's Sluice to exit" bash -c "! kill -0 $pid 2>/dev/null"
}

dns_lab_start() {
  ip netns exec "$NS_PROXY" unbound -d -c "$D/unbound/unbound.conf" >"$D/unbound/stdout" 2>"$D/unbound/log" {LOCK_FD}<&- &
  DNS_UNBOUND_PID=$!
  BG_PIDS+=("$DNS_UNBOUND_PID")
  ip netns exec "$NS_PROXY" squid -N -n sluicedns -f "$D/squid/squid.conf" >"$D/squid/stdout" 2>"$D/squid/stderr" {LOCK_FD}<&- &
  DNS_SQUID_PID=$!
  BG_PIDS+=("$DNS_SQUID_PID")
  ip netns exec "$NS_INET" "${WITH_RUN_SSHD[@]}" /usr/sbin/sshd -D -e -f "$D/sshd/sshd_config" >"$D/sshd/stdout" 2>"$D/sshd/log" {LOCK_FD}<&- &
  DNS_SSHD_PID=$!
  BG_PIDS+=("$DNS_SSHD_PID")
}

# udp_listening NS ADDR PORT: something in NS listens on UDP ADDR:PORT.
udp_listening() { grep -qF "$2" < <(in_ns "$1" ss -Hlun "sport = :$3"); }

dns_lab_wait() {
  wait_service unbound "$DNS_UNBOUND_PID" 15 udp_listening "$NS_PROXY" "$DNS_RESOLVER_IP" 53 ||
    setup_failed "unbound did not listen on $DNS_RESOLVER_IP:53 (log: $(tail -n 1 "$D/unbound/log"))"
  wait_service "the DNS lab's Squid" "$DNS_SQUID_PID" 20 listening "$NS_PROXY" "$DNS_SQUID_PORT" ||
    setup_failed "the DNS lab's Squid did not listen on $DNS_SQUID_IP:$DNS_SQUID_PORT"
  wait_service sshd "$DNS_SSHD_PID" 15 listening "$NS_INET" 22 ||
    setup_failed "sshd did not listen on $INET_IP:22 (log: $(tail -n 1 "$D/sshd/log"))"
}

# The lab's Sluice is the product under test, not part of the lab: when `sluice check` refuses the lab's
# configuration or it does not come up, the dns- cases fail with DNS_SLUICE_BROKEN (the reason) and the suite's
# other cases run as usual.
DNS_SLUICE_BROKEN=
dns_lab_sluice_start() {
  if ! sluice check --config "$DNS_CONF" >"$D/sluice/check.out" 2>&1; then
    DNS_SLUICE_BROKEN="sluice check refuses the DNS lab's configuration: $(grep -m 1 . "$D/sluice/check.out" | sed "s|^$D/||")"
    log "e2e: $DNS_SLUICE_BROKEN"
    return 0
  fi
  dns_sluice_start
  BG_PIDS+=("$(dns_sluice_pid)")
}
dns_lab_wait_sluice() {
  [[ -z $DNS_SLUICE_BROKEN ]] || return 0
  if ! wait_service "the DNS lab's Sluice" "$(dns_sluice_pid)" 30 dns_sluice_ready 0; then
    DNS_SLUICE_BROKEN="the DNS lab's Sluice did not bind its listeners and DNS addresses: $(grep -m 1 -E 'ERROR|Exception' "$DNS_STDERR")"
    log "e2e: $DNS_SLUICE_BROKEN"
  fi
}

# dns_iptables MODE ACTION: sluice-iptables in dgw with the lab's options (DNS_IPT_OPTS), MODE redirect or tproxy
# (case dns-tproxy switches from one to the other and back).
DNS_IPT_OPTS=(--ipv6 --lan-if lan0 --listen-port "$DNS_LISTEN_PORT" --proxy "$DNS_SQUID_IP,$DNS_SQUID_IP6"
  --synthetic "$DNS_SYN4,$DNS_SYN6")
dns_iptables() { in_ns "$DNS_NS_GW" "$IPT_SCRIPT" --mode "$1" "${DNS_IPT_OPTS[@]}" "$2"; }

# dns_lab_iptables: the project's sluice-iptables, IPv4 and IPv6, as an operator of a DNS responder runs it: the
# LAN's port 443 and, with --synthetic, every TCP port to the synthetic ranges. The default exclusions stay: the
# IPv6 ones hold fc00::/7, every address of this lab (ULA), which is right for port 443 (the gateway's own and the
# corporate link's addresses are never captured) and does not hide the synthetic fdec:5c::/96, which --synthetic
# captures even inside an excluded range.
dns_lab_iptables() {
  dns_iptables redirect up >"$D/iptables-up.log" 2>&1 ||
    { cat "$D/iptables-up.log" >&2; setup_failed "sluice-iptables up failed in the DNS lab (output above)"; }
  { in_ns "$DNS_NS_GW" iptables-save -t nat; in_ns "$DNS_NS_GW" ip6tables-save -t nat; } >"$D/nat.rules"
  grep -q -- "-d $DNS_SYN6 -p tcp .*--to-ports $DNS_LISTEN_PORT" "$D/nat.rules" ||
    { cat "$D/nat.rules" >&2; setup_failed "after sluice-iptables up --synthetic, no REDIRECT of $DNS_SYN6 in dgw's nat table"; }
}

# ---- what the cases use ----
# dns_dev NS CMD...: a developer's command: no proxy variable, no environment but PATH and its HOME.
dns_dev() {
  local ns=$1 home=$D/home-dev
  shift
  [[ $ns != "$DNS_NS_DEV6" ]] || home=$D/home-dev6
  in_ns "$ns" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" \
    GIT_SSH_COMMAND="ssh -F $home/.ssh/config" "$@"
}
dns_admin() { in_ns "$DNS_NS_GW" curl -sS --max-time 5 "http://127.0.0.1:$DNS_ADMIN_PORT$1"; }
# dig_at NS SERVER ARGS...: dig with the lab's usual options (short timeouts, one try).
dig_at() { local ns=$1 server=$2; shift 2; in_ns "$ns" dig "@$server" +time=2 +tries=1 "$@"; }

# ---- the lab's checks (no Sluice involved): the servers the dns- cases rely on ----
dns_check() { lab_check dns-lab "$D/checks.log" "$DNS_CHECKS" DNS_FAILED "$@"; } # DESCRIPTION CMD...
# answer_is SERVER NAME TYPE WANT: unbound's answer, asked from dgw, is WANT (dig +short); WANT NXDOMAIN: the status.
answer_is() {
  local out
  if [[ $4 == NXDOMAIN ]]; then
    out=$(dig_at "$DNS_NS_GW" "$1" "$2" "$3") && printf '%s\n' "$out" && grep -q 'status: NXDOMAIN' <<<"$out"
  else
    out=$(dig_at "$DNS_NS_GW" "$1" +short "$2" "$3") && printf '%s %s %s: %s\n' "$1" "$2" "$3" "$out" && [[ $out == "$4" ]]
  fi
}
# ssh_via_squid: git ls-remote from dgw to the repository through the lab's Squid (CONNECT git.example.test:22).
ssh_via_squid() {
  local head
  head=$(in_ns "$DNS_NS_GW" env -i PATH=/usr/bin:/bin HOME="$D/home-dev" \
    GIT_SSH_COMMAND="ssh -F $D/home-dev/.ssh/config -o ProxyCommand='nc -X connect -x $DNS_SQUID_IP:$DNS_SQUID_PORT %h %p'" \
    git ls-remote "$DNS_REPO_URL" HEAD) || return 1
  printf 'ls-remote via Squid: %s\n' "$head"
  [[ ${head%%[[:space:]]*} == "$DNS_REPO_HEAD" ]]
}
# squid_connect HOST:PORT WANT: the lab's Squid answers CONNECT HOST:PORT from dgw over IPv6 with status WANT.
squid_connect() {
  local code
  code=$(in_ns "$DNS_NS_GW" curl -s -o /dev/null -w '%{http_connect}' --max-time 5 -p \
    -x "http://[$DNS_SQUID_IP6]:$DNS_SQUID_PORT" "http://$1/") || true
  printf 'CONNECT %s via [%s]:%s: %s\n' "$1" "$DNS_SQUID_IP6" "$DNS_SQUID_PORT" "$code"
  [[ $code == "$2" ]]
}
# module_via_squid6: the module list through the lab's Squid over IPv6 (nginx, the test CA).
module_via_squid6() {
  local body
  body=$(in_ns "$DNS_NS_GW" curl -sS --max-time 5 --cacert "$CA" -x "http://[$DNS_SQUID_IP6]:$DNS_SQUID_PORT" \
    "https://proxy.golang.org/$MODULE/@v/list") || return 1
  printf 'GET https://proxy.golang.org/%s/@v/list via [%s]: %s\n' "$MODULE" "$DNS_SQUID_IP6" "$body"
  [[ $body == "$MODULE_VERSION" ]]
}
# no_way_out: dgw has no route to the internet host; the developers reach nothing beyond the gateway.
no_way_out() {
  ! in_ns "$DNS_NS_GW" curl -sS --connect-timeout 2 -o /dev/null "http://$INET_IP/" &&
    ! in_ns "$DNS_NS_DEV" curl -sS --connect-timeout 2 -o /dev/null "http://$INET_IP/"
}

dns_lab_check() {
  DNS_FAILED=0
  : >"$DNS_CHECKS"
  dns_check "unbound $DNS_INTERNAL_NAME A" answer_is "$DNS_RESOLVER_IP" "$DNS_INTERNAL_NAME" A "$DNS_INTERNAL_A"
  dns_check "unbound $DNS_INTERNAL_NAME AAAA (over IPv6)" answer_is "$DNS_RESOLVER_IP6" "$DNS_INTERNAL_NAME" AAAA "$DNS_INTERNAL_AAAA"
  dns_check "unbound proxy.golang.org NXDOMAIN" answer_is "$DNS_RESOLVER_IP" proxy.golang.org A NXDOMAIN
  dns_check "squid over IPv6 to proxy.golang.org:443" module_via_squid6
  dns_check "squid CONNECT $DNS_GIT_NAME:22 200" squid_connect "$DNS_GIT_NAME:22" 200
  dns_check "squid CONNECT proxy.golang.org:22 403" squid_connect proxy.golang.org:22 403
  dns_check "squid CONNECT $DNS_GIT_NAME:443 403" squid_connect "$DNS_GIT_NAME:443" 403
  dns_check "sshd git ls-remote through squid" ssh_via_squid
  dns_check "no way out from dgw or ddev to $INET_IP" no_way_out
  ((DNS_FAILED == 0)) ||
    setup_failed "DNS lab: $DNS_FAILED check(s) failed: $(grep -m 1 FAIL "$DNS_CHECKS" | cut -d' ' -f3-) (details in $D/checks.log)"
}

# For e2e/run's evidence: "description:file" of the lab's logs.
dns_lab_evidence() {
  printf '%s\n' "dns lab checks:$T/dns-lab/checks.log" "dns lab sluice stderr:$T/dns-lab/sluice/stderr" \
    "dns lab sluice access log:$T/dns-lab/sluice/access.log" "dns lab squid access.log:$T/dns-lab/squid/access.log" \
    "dns lab squid cache.log:$T/dns-lab/squid/cache.log" "unbound log:$T/dns-lab/unbound/log" \
    "sshd log:$T/dns-lab/sshd/log" "dns lab nat tables:$T/dns-lab/nat.rules"
}
