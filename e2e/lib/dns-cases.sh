# shellcheck shell=bash
# The DNS lab's cases (lib/dns-lab.sh): developers whose only resolver is the gateway's Sluice resolve and reach
# what its rules route (dig, go, git over ssh, IPv4 and IPv6-only), across a restart, with TPROXY instead of
# REDIRECT, and under a flood. Sourced
# by e2e/run. What the developers ran and saw goes to $T/dns-transcript.txt (printed after the table), the
# flood's figures to $T/dns-flood.md.

# dns_case: every dns- case starts here: the lab's Sluice must be up, and the access log is the lab's.
dns_case() {
  [[ -z $DNS_SLUICE_BROKEN ]] || fail "$DNS_SLUICE_BROKEN"
  ACCESS_LOG=$DNS_ACCESS_LOG
  say_dns "## $CASE_NAME"
}
say_dns() { printf '%s\n' "$*" >>"$T/dns-transcript.txt"; }
ns_label() { case $1 in "$DNS_NS_DEV") echo ddev ;; "$DNS_NS_DEV6") echo ddev6 ;; *) echo dgw ;; esac; }

# ddig OUT NS ARGS...: dig as the developer in NS (its resolv.conf: the gateway only), the full output in
# $CASE_DIR/OUT.dig; the status, answer section and server go to the transcript and the case's log.
ddig() {
  local out=$CASE_DIR/$1.dig ns=$2 rc=0
  shift 2
  dns_dev "$ns" dig +time=2 +tries=1 "$@" >"$out" 2>&1 || rc=$?
  dig_summary "$(ns_label "$ns")\$ dig $*" "$out"
  return "$rc"
}
# udig OUT ARGS...: dig from the lab's gateway straight at unbound (Sluice not involved).
udig() {
  local out=$CASE_DIR/$1.dig rc=0
  shift
  dig_at "$DNS_NS_GW" "$DNS_RESOLVER_IP" "$@" >"$out" 2>&1 || rc=$?
  dig_summary "dgw\$ dig @$DNS_RESOLVER_IP $*" "$out"
  return "$rc"
}
dig_summary() {
  {
    printf '%s\n' "$1"
    awk '/->>HEADER<<-/ { sub(/^;; /, ""); print "  " $0 }
         /^;; ANSWER SECTION:/ { a = 1; next } a && /^$/ { a = 0 } a { print "  " $0 }
         /^;; SERVER:/ { print "  " $0 } /connection timed out|communications error/ { print "  " $0 }' "$2"
  } | tee -a "$T/dns-transcript.txt" >&2
}
# answer_section FILE: the answer section's records (name ttl class type data), one a line, sorted.
answer_section() { awk '/^;; ANSWER SECTION:/ { a = 1; next } a && /^$/ { exit } a' "$1" | sort; }
status_in() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$1"; }
server_in() { sed -n 's/^;; SERVER: \([^#]*\)#.*/\1/p' "$1"; }
answer_count() { sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' "$1"; }
# the data of the answer's records of TYPE
rdata() { answer_section "$1" | awk -v t="$2" '$4 == t { print $5 }'; }
in_range() {
  python3 -c 'import ipaddress, sys; sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' "$1" "$2"
}
# synthetic_answer OUT NS NAME TYPE RANGE: dig TYPE NAME as the developer: NOERROR from the gateway, exactly one
# record, in RANGE; prints the address.
synthetic_answer() {
  local f=$CASE_DIR/$1.dig a gw=$DNS_GW_IP
  [[ $2 != "$DNS_NS_DEV6" ]] || gw=$DNS_GW_IP6
  ddig "$1" "$2" "$3" "$4" || fail "dig $4 $3 from $(ns_label "$2") failed: $(tail -n 1 "$f")"
  [[ $(server_in "$f") == "$gw" ]] || fail "dig $4 $3 asked $(server_in "$f"), not the gateway $gw"
  [[ $(status_in "$f") == NOERROR ]] || fail "dig $4 $3: status $(status_in "$f"), want NOERROR"
  a=$(rdata "$f" "$4")
  [[ -n $a && $(wc -l <<<"$a") == 1 ]] || fail "dig $4 $3: want one $4 record, got '$(tr '\n' ' ' <<<"$a")'"
  in_range "$a" "$5" || fail "dig $4 $3: $a is not in the synthetic range $5"
  printf '%s\n' "$a"
}
# dns_metric SERIES: one series' value from the lab's /metrics (0 when absent).
dns_metric() { dns_admin /metrics | awk -v s="$1" 'index($0, s " ") == 1 { v = $2 } END { printf "%d\n", v + 0 }'; }
dns_metrics_lines() { dns_admin /metrics | grep -E '^sluice_dns_' || true; }
squid_lines() { count_in "$D/squid/access.log" ""; }
# squid_saw SKIP REGEX: a line after the first SKIP of the lab Squid's access.log matches REGEX.
squid_saw() { tail -n +$(($1 + 1)) "$D/squid/access.log" | grep -Eq "$2"; }
# rx TEXT: TEXT as an extended regular expression matching itself.
rx() { sed -e 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# dns_go NS NAME: `go mod download` of the test module as the developer in NS (no proxy variable, fresh caches,
# GOPROXY=https://proxy.golang.org): the Sum must be the one computed at setup.
dns_go() {
  local w=$T/dns-go-$2 sum
  rm -rf "$w"
  mkdir -p "$w/empty" "$w/home"
  say_dns "$(ns_label "$1")\$ go mod download -json $MODULE@$MODULE_VERSION   (GOPROXY=https://proxy.golang.org, fresh GOPATH)"
  (cd "$w/empty" && dns_dev "$1" env HOME="$w/home" GOPATH="$w/gopath" GOMODCACHE="$w/gopath/pkg/mod" \
    GOCACHE="$w/cache" GOPROXY=https://proxy.golang.org GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    SSL_CERT_FILE="$CA" timeout 60 go mod download -json "$MODULE@$MODULE_VERSION") \
    >"$CASE_DIR/go.json" 2>"$CASE_DIR/go.err" ||
    { cat "$CASE_DIR/go.json" "$CASE_DIR/go.err" >&2; fail "go mod download from $(ns_label "$1") failed: $(go_error)"; }
  sum=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("Sum") or d.get("Error"))' "$CASE_DIR/go.json")
  say_dns "  Sum: $sum"
  [[ $sum == "$MODULE_H1" ]] || fail "module hash: go says '$sum', computed at setup $MODULE_H1"
  [[ -f $w/gopath/pkg/mod/$MODULE@$MODULE_VERSION/hello.go ]] || fail "module not extracted into GOMODCACHE"
  chmod -R u+w "$w" && rm -rf "$w"
}
# go_error: why go mod download failed: its last line on stderr, or (-json puts it there) the JSON's Error.
go_error() {
  { tail -n 1 "$CASE_DIR/go.err"; grep -h -m 1 '"Error"' "$CASE_DIR/go.json" 2>/dev/null; } | grep -m 1 . || true
}
# show_log SKIP COND...: the matching access-log lines into the transcript and the case's log.
show_log() {
  alog show "$ACCESS_LOG" "$@" | python3 -c '
import json, sys
keys = ("listener", "client", "dst", "sni", "name", "name_from", "rule", "proxy", "outcome")
for line in sys.stdin:
    e = json.loads(line)
    print("  access log: " + " ".join("%s=%s" % (k, json.dumps(e.get(k)).strip(chr(34))) for k in keys))' | tee -a "$T/dns-transcript.txt" >&2
}

# ---- D1: dig ----
case_dns_dig() {
  local a aaaa n f t
  dns_case
  # An internal name: forwarded to unbound and back exactly as unbound answers it.
  for t in A AAAA; do
    udig "unbound-$t" "$DNS_INTERNAL_NAME" "$t" || fail "dig $t $DNS_INTERNAL_NAME at unbound failed"
    ddig "wiki-$t" "$DNS_NS_DEV" "$DNS_INTERNAL_NAME" "$t" || fail "dig $t $DNS_INTERNAL_NAME from ddev failed"
    f=$CASE_DIR/wiki-$t.dig
    [[ $(server_in "$f") == "$DNS_GW_IP" ]] || fail "ddev's dig asked $(server_in "$f"), not the gateway"
    [[ $(status_in "$f") == NOERROR && $(answer_count "$f") == 1 ]] ||
      fail "dig $t $DNS_INTERNAL_NAME via the gateway: $(status_in "$f"), $(answer_count "$f") answers"
    diff -u <(answer_section "$CASE_DIR/unbound-$t.dig") <(answer_section "$f") >&2 ||
      fail "dig $t $DNS_INTERNAL_NAME: the gateway's answer differs from unbound's (diff in the log)"
  done
  [[ $(rdata "$CASE_DIR/wiki-A.dig" A) == "$DNS_INTERNAL_A" ]] || fail "wiki A is not $DNS_INTERNAL_A"
  # Over TCP, from the IPv6-only developer (the responder listens on UDP and TCP on each address).
  ddig wiki-tcp6 "$DNS_NS_DEV6" +tcp "$DNS_INTERNAL_NAME" AAAA || fail "dig +tcp AAAA $DNS_INTERNAL_NAME from ddev6 failed"
  diff -u <(answer_section "$CASE_DIR/unbound-AAAA.dig") <(answer_section "$CASE_DIR/wiki-tcp6.dig") >&2 ||
    fail "dig +tcp AAAA $DNS_INTERNAL_NAME from ddev6: the answer differs from unbound's"
  # A name a splice rule routes: synthetic addresses, and no HTTPS record (so no ECH configuration).
  a=$(synthetic_answer go-A "$DNS_NS_DEV" proxy.golang.org A "$DNS_SYN4")
  aaaa=$(synthetic_answer go-AAAA "$DNS_NS_DEV" proxy.golang.org AAAA "$DNS_SYN6")
  ddig go-HTTPS "$DNS_NS_DEV" proxy.golang.org HTTPS || fail "dig HTTPS proxy.golang.org failed"
  [[ $(status_in "$CASE_DIR/go-HTTPS.dig") == NOERROR ]] ||
    fail "dig HTTPS proxy.golang.org: $(status_in "$CASE_DIR/go-HTTPS.dig"), want NOERROR (no data)"
  n=$(answer_count "$CASE_DIR/go-HTTPS.dig")
  ((n == 0)) || fail "dig HTTPS proxy.golang.org: $n answers, want none"
  # A name no rule claims: unbound's NXDOMAIN passes through; so does one an explicit reject rule matches
  # (dns.rejected: forward, the default).
  udig unbound-unknown nowhere.example.org A || true
  ddig unknown "$DNS_NS_DEV" nowhere.example.org A || true
  [[ $(status_in "$CASE_DIR/unknown.dig") == NXDOMAIN && $(status_in "$CASE_DIR/unbound-unknown.dig") == NXDOMAIN ]] ||
    fail "nowhere.example.org: gateway says $(status_in "$CASE_DIR/unknown.dig"), unbound $(status_in "$CASE_DIR/unbound-unknown.dig"); want NXDOMAIN from both"
  ddig blocked "$DNS_NS_DEV" blocked.example.test A || true
  [[ $(status_in "$CASE_DIR/blocked.dig") == NXDOMAIN ]] ||
    fail "blocked.example.test (a reject rule, rejected: forward): $(status_in "$CASE_DIR/blocked.dig"), want unbound's NXDOMAIN"
  grep -q 'nowhere.example.org. A IN' "$D/unbound/log" || fail "unbound did not log the forwarded query for nowhere.example.org"
  dns_metrics_lines >"$CASE_DIR/metrics.txt"
  sed 's/^/  /' "$CASE_DIR/metrics.txt" | tee -a "$T/dns-transcript.txt" >&2
  (($(dns_metric 'sluice_dns_queries_total{answer="synthetic"}') >= 2)) || fail "sluice_dns_queries_total{answer=\"synthetic\"} < 2"
  (($(dns_metric 'sluice_dns_queries_total{answer="nodata"}') >= 1)) || fail "sluice_dns_queries_total{answer=\"nodata\"} < 1"
  (($(dns_metric 'sluice_dns_queries_total{answer="forwarded"}') >= 5)) || fail "sluice_dns_queries_total{answer=\"forwarded\"} < 5"
  note "wiki.corp.test A/AAAA (udp, tcp over IPv6) = unbound's; proxy.golang.org A $a, AAAA $aaaa; HTTPS NOERROR, 0 answers; unknown and rejected names: unbound's NXDOMAIN"
}

# ---- D2, D3: go mod download, dual-stack and IPv6-only ----
# dns_go_case NS FAMILY_RANGE TYPE CLIENT_REGEX: resolve, download, and find the tunnel in both logs.
dns_go_case() {
  local ns=$1 range=$2 type=$3 client=$4 addr skip sq dst
  dns_case
  addr=$(synthetic_answer "go-$type" "$ns" proxy.golang.org "$type" "$range")
  dst=$addr:443
  [[ $type == A ]] || dst="[$addr]:443"
  skip=$(alog_lines)
  sq=$(squid_lines)
  dns_go "$ns" "$(ns_label "$ns")"
  expect_log "for proxy.golang.org to its synthetic address" "$skip" sni=proxy.golang.org name=proxy.golang.org \
    name_from=sni rule=go outcome=ok "dst=$dst" "client~^$client" "proxy~$(rx "$DNS_SQUID_IP6")"
  show_log "$skip" sni=proxy.golang.org
  wait_for 5 "the lab Squid's access.log to show CONNECT proxy.golang.org:443 from $DNS_GW_CORP_IP6" \
    squid_saw "$sq" " $(rx "$DNS_GW_CORP_IP6") TCP_TUNNEL/200 .*CONNECT proxy\.golang\.org:443" ||
    fail "the lab's Squid did not log CONNECT proxy.golang.org:443 from the gateway's $DNS_GW_CORP_IP6"
  tail -n +$((sq + 1)) "$D/squid/access.log" | grep 'CONNECT proxy.golang.org:443' | tail -n 1 |
    sed 's/^/  squid: /' | tee -a "$T/dns-transcript.txt" >&2
  note "Sum right; $(ns_label "$ns") got $type $addr; access log dst $dst, name_from sni; Squid: CONNECT from $DNS_GW_CORP_IP6"
}
case_dns_go() { dns_go_case "$DNS_NS_DEV" "$DNS_SYN4" A '192\.168\.78\.2:'; }
case_dns_go_ipv6() { dns_go_case "$DNS_NS_DEV6" "$DNS_SYN6" AAAA "$(rx "[$DNS_DEV6_IP6]"):"; }

# ---- D4: git clone over ssh ----
case_dns_git_ssh() {
  local w=$T/dns-clone skip sq addr addr6 head dst
  dns_case
  rm -rf "$w"
  # ssh (glibc's getaddrinfo) may take either: glibc's default precedence puts IPv6 ULA above IPv4, go the reverse
  addr=$(synthetic_answer git-A "$DNS_NS_DEV" "$DNS_GIT_NAME" A "$DNS_SYN4")
  addr6=$(synthetic_answer git-AAAA "$DNS_NS_DEV" "$DNS_GIT_NAME" AAAA "$DNS_SYN6")
  skip=$(alog_lines)
  sq=$(squid_lines)
  say_dns "ddev\$ git clone $DNS_REPO_URL   (GIT_SSH_COMMAND='ssh -F \$HOME/.ssh/config': its key and known_hosts)"
  dns_dev "$DNS_NS_DEV" timeout 30 git clone "$DNS_REPO_URL" "$w" >"$CASE_DIR/clone.out" 2>&1 ||
    { cat "$CASE_DIR/clone.out" >&2; fail "git clone failed: $(tail -n 1 "$CASE_DIR/clone.out")"; }
  sed 's/^/  /' "$CASE_DIR/clone.out" | tee -a "$T/dns-transcript.txt" >&2
  head=$(git -C "$w" rev-parse HEAD)
  say_dns "  HEAD $head (the repository's: $DNS_REPO_HEAD)"
  [[ $head == "$DNS_REPO_HEAD" ]] || fail "the clone's HEAD is $head, the repository's $DNS_REPO_HEAD"
  expect_log "for the ssh connection to $DNS_GIT_NAME" "$skip" name="$DNS_GIT_NAME" name_from=dns rule=git-ssh \
    outcome=ok "dst~^($(rx "$addr")|$(rx "[$addr6]")):22\$" sni=null
  show_log "$skip"
  dst=$(alog show "$ACCESS_LOG" "$skip" name="$DNS_GIT_NAME" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["dst"])')
  wait_for 5 "the lab Squid's access.log to show CONNECT $DNS_GIT_NAME:22" \
    squid_saw "$sq" "TCP_TUNNEL/200 .*CONNECT $(rx "$DNS_GIT_NAME"):22 " ||
    fail "the lab's Squid did not log CONNECT $DNS_GIT_NAME:22"
  tail -n +$((sq + 1)) "$D/squid/access.log" | grep "CONNECT $DNS_GIT_NAME:22" | sed 's/^/  squid: /' |
    tee -a "$T/dns-transcript.txt" >&2
  rm -rf "$w"
  note "clone HEAD = repository's ${head:0:12}; $DNS_GIT_NAME -> $addr, $addr6; access log name_from dns, dst $dst (ssh's pick), ok; Squid: CONNECT $DNS_GIT_NAME:22"
}

# ---- D5: the developer's cached answers across a restart ----
case_dns_restart() {
  local git_addr go_addr skip skip0 lines t0 secs head body again
  dns_case
  git_addr=$(synthetic_answer git-A "$DNS_NS_DEV" "$DNS_GIT_NAME" A "$DNS_SYN4")
  go_addr=$(synthetic_answer go-A "$DNS_NS_DEV" proxy.golang.org A "$DNS_SYN4")
  lines=$(count_in "$DNS_STDERR" "")
  t0=$(now_ms)
  say_dns "dgw# kill -TERM $(dns_sluice_pid); sluice run --config gateway.yaml (same state_dir)"
  dns_sluice_stop || fail "the lab's Sluice did not exit within 10 s of SIGTERM"
  find "$DNS_STATE" -type f -printf '  state_dir: %P %s bytes\n' | tee -a "$T/dns-transcript.txt" >&2
  dns_sluice_start
  wait_service "the lab's Sluice" "$(dns_sluice_pid)" 30 dns_sluice_ready "$lines" ||
    fail "the lab's Sluice did not come back: $(tail -n +$((lines + 1)) "$DNS_STDERR" | grep -m 1 -E 'ERROR|Exception')"
  secs=$(secs_since "$t0")
  tail -n +$((lines + 1)) "$DNS_STDERR" | grep -i -E 'dns|name' | sed 's/^/  sluice: /' | tee -a "$T/dns-transcript.txt" >&2 || true
  # Port 22 carries no name: only the kept table can route a connection to the address the developer cached.
  skip=$(alog_lines)
  skip0=$skip
  say_dns "ddev\$ git ls-remote ssh://root@$git_addr$DNS_REPO HEAD   (the cached address; HostKeyAlias=$DNS_GIT_NAME)"
  head=$(dns_dev "$DNS_NS_DEV" env GIT_SSH_COMMAND="ssh -F $D/home-dev/.ssh/config -o HostKeyAlias=$DNS_GIT_NAME" \
    timeout 30 git ls-remote "ssh://root@$git_addr$DNS_REPO" HEAD 2>"$CASE_DIR/ls-remote.err") ||
    { cat "$CASE_DIR/ls-remote.err" >&2; fail "git ls-remote to the cached $git_addr after the restart failed: $(tail -n 1 "$CASE_DIR/ls-remote.err")"; }
  say_dns "  $head"
  [[ ${head%%[[:space:]]*} == "$DNS_REPO_HEAD" ]] || fail "ls-remote after the restart: '$head', want $DNS_REPO_HEAD"
  expect_log "for ssh to the cached $git_addr" "$skip" name="$DNS_GIT_NAME" name_from=dns outcome=ok "dst=$git_addr:22"
  skip=$(alog_lines)
  say_dns "ddev\$ curl --resolve proxy.golang.org:443:$go_addr https://proxy.golang.org/$MODULE/@v/list"
  body=$(dns_dev "$DNS_NS_DEV" curl -sS --max-time 10 --cacert "$CA" --resolve "proxy.golang.org:443:$go_addr" \
    "https://proxy.golang.org/$MODULE/@v/list" 2>"$CASE_DIR/curl.err") ||
    fail "curl to the cached $go_addr after the restart failed: $(cat "$CASE_DIR/curl.err")"
  say_dns "  $body"
  [[ $body == "$MODULE_VERSION" ]] || fail "curl after the restart got '$body', want $MODULE_VERSION"
  expect_log "for curl to the cached $go_addr" "$skip" name=proxy.golang.org 'name_from~^(sni|dns)$' outcome=ok \
    "dst=$go_addr:443"
  show_log "$skip0"
  # And the table answers as before: the same addresses.
  again=$(synthetic_answer git-A-again "$DNS_NS_DEV" "$DNS_GIT_NAME" A "$DNS_SYN4")
  [[ $again == "$git_addr" ]] || fail "after the restart $DNS_GIT_NAME is $again, before $git_addr"
  note "restart in ${secs}s; ssh to the cached $git_addr: HEAD right, name_from dns; curl to the cached $go_addr ok; $DNS_GIT_NAME still $git_addr"
}

# ---- D6: a flood from one developer; the other still answered ----
DNS_FLOOD_SECS=${SLUICE_E2E_DNS_FLOOD_SECS:-10}
DNS_FLOOD_QPS=10000
# udp_rcvbuf_errors: datagrams dgw's kernel dropped for a full socket receive buffer (all UDP sockets there).
# shellcheck disable=SC2016 # an awk program, run in the namespace
udp_rcvbuf_errors() {
  in_ns "$DNS_NS_GW" awk '$1 == "Udp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; n = 1 } else print $c }' /proc/net/snmp
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# probe_during PID: while PID (the flood) runs, the IPv6-only developer asks for wiki.corp.test AAAA and
# proxy.golang.org AAAA every 0.3 s, each with a 1 s timeout and one try; one line per answer in probes.txt.
probe_during() {
  local i=0 t0 ms rc st a
  while alive "$1"; do
    i=$((i + 1))
    for q in "$DNS_INTERNAL_NAME" proxy.golang.org; do
      t0=$(now_ms)
      rc=0
      dns_dev "$DNS_NS_DEV6" dig +time=1 +tries=1 "$q" AAAA >"$CASE_DIR/probe.dig" 2>&1 || rc=$?
      ms=$(($(now_ms) - t0))
      st=$(status_in "$CASE_DIR/probe.dig")
      a=$(rdata "$CASE_DIR/probe.dig" AAAA | head -n 1)
      printf '%s %s rc=%s status=%s ms=%s %s\n' "$i" "$q" "$rc" "${st:-none}" "$ms" "${a:-none}" >>"$CASE_DIR/probes.txt"
    done
    sleep 0.3
  done
}
# metric_in before|after SERIES: a series' value in the flood's metrics snapshot.
metric_in() { awk -v s="$2" 'index($0, s " ") == 1 { v = $2 } END { printf "%d", v + 0 }' "$CASE_DIR/metrics-$1.txt"; }
case_dns_flood() {
  local go6 rss0 rss1 pid names0 names1 sent done_ qps flood_pid probes bad maxms rcodes servfail refused m lost drops0 drops1
  local lines rate_lines full_lines
  dns_case
  pid=$(dns_sluice_pid)
  go6=$(synthetic_answer go-AAAA "$DNS_NS_DEV6" proxy.golang.org AAAA "$DNS_SYN6")
  python3 -c '
import random, sys
r = random.Random(7)
for i in range(200000):
    print("%s.flood.test A" % "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12)))' >"$CASE_DIR/names.txt"
  rss0=$(rss_kib "$pid")
  drops0=$(udp_rcvbuf_errors)
  names0=$(dns_metric sluice_dns_names)
  dns_metrics_lines >"$CASE_DIR/metrics-before.txt"
  lines=$(count_in "$DNS_STDERR" "")
  : >"$CASE_DIR/probes.txt"
  say_dns "ddev\$ dnsperf -s $DNS_GW_IP -d names.txt -l $DNS_FLOOD_SECS -Q $DNS_FLOOD_QPS -q 2000 -t 2   (random *.flood.test A)"
  dns_dev "$DNS_NS_DEV" dnsperf -s "$DNS_GW_IP" -d "$CASE_DIR/names.txt" -l "$DNS_FLOOD_SECS" -Q "$DNS_FLOOD_QPS" \
    -q 2000 -t 2 -S 2 >"$CASE_DIR/dnsperf.out" 2>&1 &
  flood_pid=$!
  probe_during "$flood_pid"
  wait "$flood_pid" || { cat "$CASE_DIR/dnsperf.out" >&2; fail "dnsperf failed: $(tail -n 1 "$CASE_DIR/dnsperf.out")"; }
  # dnsperf prints a line per query that timed out (a dropped query): counted, not shown
  grep -v '^\[Timeout\]' "$CASE_DIR/dnsperf.out" >&2 || true
  log "dnsperf: $(count_in "$CASE_DIR/dnsperf.out" '^\[Timeout\]') queries timed out (2 s)"
  log "probes from ddev6 during the flood:"
  cat "$CASE_DIR/probes.txt" >&2
  rss1=$(rss_kib "$pid")
  drops1=$(udp_rcvbuf_errors)
  names1=$(dns_metric sluice_dns_names)
  dns_metrics_lines >"$CASE_DIR/metrics-after.txt"
  sent=$(awk '/Queries sent:/ { print $3 }' "$CASE_DIR/dnsperf.out")
  done_=$(awk '/Queries completed:/ { print $3 }' "$CASE_DIR/dnsperf.out")
  lost=$(awk '/Queries lost:/ { print $3 }' "$CASE_DIR/dnsperf.out")
  qps=$(awk '/Queries per second:/ { printf "%d", $4 }' "$CASE_DIR/dnsperf.out")
  rcodes=$(awk '/Response codes:/ { sub(/^.*Response codes: */, ""); print }' "$CASE_DIR/dnsperf.out")
  servfail=$(grep -o 'SERVFAIL [0-9]*' <<<"$rcodes" | awk '{ print $2 }')
  refused=$(grep -o 'REFUSED [0-9]*' <<<"$rcodes" | awk '{ print $2 }')
  tail -n +$((lines + 1)) "$DNS_STDERR" >"$CASE_DIR/sluice-during.log"
  rate_lines=$(count_in "$CASE_DIR/sluice-during.log" 'WARN .*a client over dns.limits.client_qps refused')
  full_lines=$(count_in "$CASE_DIR/sluice-during.log" 'WARN .*the synthetic table is full of names in use')
  log "Sluice's log during the flood:"
  sed 's/^/  /' "$CASE_DIR/sluice-during.log" >&2
  probes=$(wc -l <"$CASE_DIR/probes.txt")
  bad=$(awk -v a="$go6" '$4 != "status=NOERROR" || $3 != "rc=0" || ($2 == "proxy.golang.org" && $6 != a)' "$CASE_DIR/probes.txt" | wc -l)
  maxms=$(awk '{ sub(/ms=/, "", $5); if ($5 > m) m = $5 } END { print m + 0 }' "$CASE_DIR/probes.txt")
  {
    printf '| what | figure |\n|---|---|\n'
    printf '| flood | one client (ddev, %s), random *.flood.test A, dnsperf -Q %s for %s s |\n' "$DNS_DEV_IP" \
      "$DNS_FLOOD_QPS" "$DNS_FLOOD_SECS"
    printf '| queries sent | %s (%s/s) |\n' "${sent:-?}" "$(( ${sent:-0} / DNS_FLOOD_SECS ))"
    printf '| queries answered | %s (%s/s, dnsperf); no answer within 2 s: %s |\n' "${done_:-?}" "${qps:-?}" "${lost:-?}"
    printf '| answers by rcode | %s |\n' "${rcodes:-?}"
    printf '| UDP datagrams dropped by dgw'"'"'s kernel (receive buffer full, Udp RcvbufErrors) | %d |\n' $((drops1 - drops0))
    for m in synthetic ratelimited servfail refused forwarded nodata; do
      printf '| sluice_dns_queries_total{answer="%s"} during the flood | %d |\n' "$m" \
        $(($(metric_in after "sluice_dns_queries_total{answer=\"$m\"}") - $(metric_in before "sluice_dns_queries_total{answer=\"$m\"}")))
    done
    printf '| sluice_dns_names before, after (limits.names) | %s, %s (%s) |\n' "$names0" "$names1" "$DNS_MAX_NAMES"
    printf '| log lines during the flood: rate limit, table full | %d, %d |\n' "$rate_lines" "$full_lines"
    printf '| Sluice VmRSS before, after | %d MiB, %d MiB (%+d MiB) |\n' $((rss0 / 1024)) $((rss1 / 1024)) $(((rss1 - rss0) / 1024))
    printf '| the other client (ddev6) during the flood | %d of %d answered NOERROR within 1 s, slowest %d ms; proxy.golang.org AAAA stayed %s |\n' \
      $((probes - bad)) "$probes" "$maxms" "$go6"
  } >"$CASE_DIR/flood.md"
  cat "$CASE_DIR/flood.md" >&2
  cp "$CASE_DIR/flood.md" "$T/dns-flood.md"
  ((probes >= 4)) || fail "only $probes probe answers during the flood"
  ((bad == 0)) || fail "$bad of $probes probes from ddev6 during the flood failed or changed (probes.txt in the log)"
  ((names1 <= DNS_MAX_NAMES)) || fail "sluice_dns_names is $names1, over limits.names $DNS_MAX_NAMES"
  ((names1 == DNS_MAX_NAMES)) || fail "sluice_dns_names is $names1 after the flood: the table (limits.names $DNS_MAX_NAMES) was not filled"
  ((${servfail:-0} > 0)) || fail "no SERVFAIL with the table full (dnsperf: $rcodes)"
  ((${refused:-0} > 0)) || fail "no REFUSED for the rate-limited client (dnsperf: $rcodes)"
  ((rate_lines == 1 && full_lines == 1)) ||
    fail "log lines during the flood: $rate_lines for the rate limit, $full_lines for the full table (1 each expected: once a minute per cause)"
  (((rss1 - rss0) < 64 * 1024)) || fail "Sluice's RSS grew by $(((rss1 - rss0) / 1024)) MiB during the flood, bound 64 MiB"
  alive "$pid" || fail "the lab's Sluice died during the flood"
  note "sent ${sent:-?}, answered ${done_:-?} ($rcodes); names $names1/$DNS_MAX_NAMES; RSS $((rss0 / 1024))->$((rss1 / 1024)) MiB; ddev6: $probes probes ok, slowest ${maxms} ms"
}

# ---- D7: TPROXY for both families, carrying real traffic ----
# dgw_netfilter: dgw's iptables and ip6tables (every table, without counters), its policy routing rules and the
# tproxy routing table 100, both families: to compare one state with another (as gw_netfilter does for the suite).
# A table that holds only built-in chains with policy ACCEPT and no rule is left out: it filters nothing, and
# iptables-nft keeps such a table once a rule was in it (the mangle table after tproxy down).
dgw_netfilter() {
  local f
  {
    in_ns "$DNS_NS_GW" iptables-save
    in_ns "$DNS_NS_GW" ip6tables-save
  } | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//' | awk '
    /^\*/ { buf = $0 "\n"; keep = 0; t = 1; next }
    t && /^COMMIT/ { if (keep) printf "%s%s\n", buf, $0; t = 0; next }
    t { buf = buf $0 "\n"; if (/^-/ || (/^:/ && $2 != "ACCEPT")) keep = 1; next }
    { print }'
  for f in -4 -6; do
    echo "ip $f rule, ip $f route show table 100:"
    in_ns "$DNS_NS_GW" ip "$f" rule list
    in_ns "$DNS_NS_GW" ip "$f" route show table 100 2>/dev/null || true # "FIB table does not exist" until tproxy up
  done
}
# dgw_netfilter_is FILE: dgw_netfilter is what FILE holds; if not, the difference goes to the case's log.
dgw_netfilter_is() {
  dgw_netfilter >"$CASE_DIR/netfilter.now"
  diff -u "$1" "$CASE_DIR/netfilter.now" >&2
}
# dns_lab_mode MODE: the lab's Sluice restarted with its listeners transparent: MODE, the configuration otherwise
# the same (state_dir too, so the name table survives); the new one checked first, so a refused one leaves the
# running Sluice alone. Fails with the reason in MODE_WHY.
MODE_WHY=
dns_lab_mode() {
  local lines
  DNS_TRANSPARENT=$1
  write_dns_config
  sluice check --config "$DNS_CONF" >"$CASE_DIR/check-$1.out" 2>&1 ||
    { MODE_WHY="sluice check refuses the $1 configuration: $(grep -m 1 . "$CASE_DIR/check-$1.out")"; return 1; }
  lines=$(count_in "$DNS_STDERR" "")
  dns_sluice_stop || { MODE_WHY="the lab's Sluice did not exit within 10 s of SIGTERM"; return 1; }
  dns_sluice_start
  if ! wait_service "the lab's Sluice ($1)" "$(dns_sluice_pid)" 30 dns_sluice_ready "$lines"; then
    MODE_WHY="the lab's Sluice did not bind its $1 listeners: $(tail -n +$((lines + 1)) "$DNS_STDERR" | grep -m 1 -E 'ERROR|Exception')"
    return 1
  fi
  tail -n +$((lines + 1)) "$DNS_STDERR" | grep -E 'listener .* bound to' | sed -e 's/^.* Gateway: /  sluice: /' \
    -e 's/, peek .*)/)/' | tee -a "$T/dns-transcript.txt" >&2
}
# dns_tproxy_restore: the lab as it was before the case: tproxy rules down (dgw's tables and policy routing as with
# no rules at all), Sluice back in redirect mode, the redirect rules up again (dgw's tables as before the case).
# Run at the case's end and, through the EXIT trap, when it fails midway; not on SIGTERM/INT (the suite is going
# down). Every step is tried; the first that went wrong fails the case.
DNS_TPROXY_RESTORE=0
dns_tproxy_restore() {
  local why=''
  ((DNS_TPROXY_RESTORE)) || return 0
  DNS_TPROXY_RESTORE=0
  say_dns "dgw# sluice-iptables --mode tproxy ... down; Sluice restarted in redirect mode; sluice-iptables --mode redirect ... up"
  dns_iptables tproxy down >"$CASE_DIR/restore-tproxy-down.out" 2>&1 ||
    why="sluice-iptables --mode tproxy down: $(tail -n 1 "$CASE_DIR/restore-tproxy-down.out")"
  if [[ -f $CASE_DIR/netfilter-bare.txt ]] && ! dgw_netfilter_is "$CASE_DIR/netfilter-bare.txt"; then
    why=${why:-"after tproxy down, dgw's tables or policy routing differ from before tproxy up (diff in the log)"}
  fi
  dns_lab_mode redirect || why=${why:-"back to redirect: $MODE_WHY"}
  dns_iptables redirect up >"$CASE_DIR/restore-redirect-up.out" 2>&1 ||
    why=${why:-"sluice-iptables --mode redirect up: $(tail -n 1 "$CASE_DIR/restore-redirect-up.out")"}
  dgw_netfilter_is "$CASE_DIR/netfilter-before.txt" ||
    why=${why:-"after the restore, dgw's tables or policy routing differ from before the case (diff in the log)"}
  if [[ -n $why ]]; then
    say_dns "  restore FAILED: $why"
    [[ -s $CASE_DIR/reason ]] || fail "restoring the redirect lab: $why"
    exit 1
  fi
  say_dns "  dgw's tables and rules as before the case; listeners $(dns_listener4), $(dns_listener6) (transparent redirect)"
}
# tproxy_lines: what sluice-iptables printed that shows the capture: the ip commands and the chain's TPROXY rules.
tproxy_lines() { grep -E '^ip |^-A SLUICE_TPROXY .*TPROXY' "$1" | sed 's/^/  /' | tee -a "$T/dns-transcript.txt" >&2; }

case_dns_tproxy() {
  local t0 go6 git6 go4 skip sq head body n
  dns_case
  t0=$(now_ms)
  dgw_netfilter >"$CASE_DIR/netfilter-before.txt"
  DNS_TPROXY_RESTORE=1
  trap dns_tproxy_restore EXIT
  trap 'DNS_TPROXY_RESTORE=0; exit 143' TERM INT
  # From REDIRECT to TPROXY: the rules, then the listeners.
  say_dns "dgw# sluice-iptables --mode redirect ${DNS_IPT_OPTS[*]} down"
  dns_iptables redirect down >"$CASE_DIR/redirect-down.out" 2>&1 ||
    fail "sluice-iptables --mode redirect down: $(tail -n 1 "$CASE_DIR/redirect-down.out")"
  dgw_netfilter >"$CASE_DIR/netfilter-bare.txt"
  ! grep -E -- '-j (REDIRECT|TPROXY)' "$CASE_DIR/netfilter-bare.txt" >&2 || fail "after redirect down, dgw still has a capture rule"
  say_dns "dgw# kill -TERM $(dns_sluice_pid); sluice run --config gateway.yaml   (listeners transparent: tproxy, same state_dir)"
  dns_lab_mode tproxy || fail "$MODE_WHY"
  say_dns "dgw# sluice-iptables --mode tproxy ${DNS_IPT_OPTS[*]} up"
  dns_iptables tproxy up >"$CASE_DIR/tproxy-up.out" 2>&1 ||
    { cat "$CASE_DIR/tproxy-up.out" >&2; fail "sluice-iptables --mode tproxy up: $(tail -n 1 "$CASE_DIR/tproxy-up.out")"; }
  tproxy_lines "$CASE_DIR/tproxy-up.out"
  dgw_netfilter >"$CASE_DIR/netfilter-tproxy.txt"
  for n in "$DNS_SYN4" "$DNS_SYN6"; do
    grep -q -- "-A SLUICE_TPROXY -d $n -p tcp .*-j TPROXY --on-port $DNS_LISTEN_PORT " "$CASE_DIR/netfilter-tproxy.txt" ||
      fail "after tproxy up, no TPROXY of $n to :$DNS_LISTEN_PORT in dgw's mangle table"
  done
  (($(grep -c -- '-j REDIRECT' "$CASE_DIR/netfilter-tproxy.txt") == 0)) || fail "after tproxy up, dgw still has a REDIRECT"
  (($(grep -c 'fwmark 0x1/0x1 lookup 100' "$CASE_DIR/netfilter-tproxy.txt") == 2)) ||
    fail "after tproxy up, not one fwmark rule for each family"
  # The IPv6-only developer: go mod download (port 443, SNI) and git over ssh (port 22, no name on the wire).
  go6=$(synthetic_answer go-AAAA "$DNS_NS_DEV6" proxy.golang.org AAAA "$DNS_SYN6")
  git6=$(synthetic_answer git-AAAA "$DNS_NS_DEV6" "$DNS_GIT_NAME" AAAA "$DNS_SYN6")
  skip=$(alog_lines)
  sq=$(squid_lines)
  dns_go "$DNS_NS_DEV6" tproxy6
  expect_log "for ddev6's go through tproxy6" "$skip" listener=tproxy6 sni=proxy.golang.org name=proxy.golang.org \
    name_from=sni rule=go outcome=ok "dst=[$go6]:443" "client~^$(rx "[$DNS_DEV6_IP6]"):" "proxy~$(rx "$DNS_SQUID_IP6")"
  say_dns "ddev6\$ git ls-remote $DNS_REPO_URL HEAD"
  head=$(dns_dev "$DNS_NS_DEV6" timeout 30 git ls-remote "$DNS_REPO_URL" HEAD 2>"$CASE_DIR/ls-remote.err") ||
    { cat "$CASE_DIR/ls-remote.err" >&2; fail "git ls-remote from ddev6 failed: $(tail -n 1 "$CASE_DIR/ls-remote.err")"; }
  say_dns "  $head"
  [[ ${head%%[[:space:]]*} == "$DNS_REPO_HEAD" ]] || fail "ls-remote from ddev6: '$head', want $DNS_REPO_HEAD"
  expect_log "for ddev6's ssh through tproxy6" "$skip" listener=tproxy6 name="$DNS_GIT_NAME" name_from=dns \
    rule=git-ssh outcome=ok sni=null "dst=[$git6]:22" "client~^$(rx "[$DNS_DEV6_IP6]"):"
  # The dual-stack developer, over IPv4.
  go4=$(synthetic_answer go-A "$DNS_NS_DEV" proxy.golang.org A "$DNS_SYN4")
  say_dns "ddev\$ curl -4 https://proxy.golang.org/$MODULE/@v/list"
  body=$(dns_dev "$DNS_NS_DEV" curl -4 -sS --max-time 10 --cacert "$CA" "https://proxy.golang.org/$MODULE/@v/list" \
    2>"$CASE_DIR/curl.err") || fail "curl -4 from ddev failed: $(cat "$CASE_DIR/curl.err")"
  say_dns "  $body"
  [[ $body == "$MODULE_VERSION" ]] || fail "curl -4 from ddev got '$body', want $MODULE_VERSION"
  expect_log "for ddev's curl through tproxy4" "$skip" listener=tproxy4 sni=proxy.golang.org name=proxy.golang.org \
    name_from=sni rule=go outcome=ok "dst=$go4:443" "client~^$(rx "$DNS_DEV_IP"):"
  show_log "$skip"
  # Nothing the case made went anywhere else, and the lab's Squid carried it.
  n=$(alog count "$ACCESS_LOG" "$skip" 'listener~^lab')
  ((n == 0)) || fail "$n access-log lines of this case name a redirect listener"
  n=$(alog count "$ACCESS_LOG" "$skip" 'outcome~^(?!ok$)')
  ((n == 0)) || fail "$n access-log lines of this case are not ok"
  wait_for 5 "the lab Squid's access.log to show CONNECT $DNS_GIT_NAME:22 and proxy.golang.org:443" \
    squid_saw "$sq" "TCP_TUNNEL/200 .*CONNECT $(rx "$DNS_GIT_NAME"):22 " ||
    fail "the lab's Squid did not log CONNECT $DNS_GIT_NAME:22"
  squid_saw "$sq" " $(rx "$DNS_GW_CORP_IP6") TCP_TUNNEL/200 .*CONNECT proxy\.golang\.org:443" ||
    fail "the lab's Squid did not log CONNECT proxy.golang.org:443 from $DNS_GW_CORP_IP6"
  tail -n +$((sq + 1)) "$D/squid/access.log" | grep -E "CONNECT (proxy\.golang\.org:443|$(rx "$DNS_GIT_NAME"):22)" |
    sed 's/^/  squid: /' | tee -a "$T/dns-transcript.txt" >&2
  n=$(tail -n +$((sq + 1)) "$D/squid/access.log" | grep -c 'TCP_TUNNEL/200 ') || true
  # Back to REDIRECT, checked; then one more curl through the redirect listener.
  dns_tproxy_restore
  skip=$(alog_lines)
  body=$(dns_dev "$DNS_NS_DEV" curl -4 -sS --max-time 10 --cacert "$CA" "https://proxy.golang.org/$MODULE/@v/list" \
    2>"$CASE_DIR/curl-after.err") || fail "after the restore, curl -4 from ddev failed: $(cat "$CASE_DIR/curl-after.err")"
  expect_log "for ddev's curl after the restore, through lab4" "$skip" listener=lab4 outcome=ok "dst=$go4:443"
  say_dns "ddev\$ curl -4 https://proxy.golang.org/$MODULE/@v/list   (after the restore: listener lab4, ok)"
  note "tproxy6: go Sum right (dst [$go6]:443), ssh ls-remote HEAD right (dst [$git6]:22, name_from dns); tproxy4: curl dst $go4:443; Squid: $n tunnels; restored to redirect, tables as before; $(secs_since "$t0")s"
}
