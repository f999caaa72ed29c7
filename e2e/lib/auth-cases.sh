# shellcheck shell=bash
# Sluice against the auth lab's real servers (lib/auth-lab.sh): Basic, Negotiate (MIT KDC, Squid's
# negotiate_kerberos_auth) and NTLMv2 (Squid's ntlm_auth, Samba's winbindd checking the password), a real
# `go mod download` through each, the failures an operator meets, the KDC stopped mid-run, a ticket that expires
# under a soak, and the setup latency and CPU of each scheme. Sourced by e2e/run; each case reconfigures Sluice
# with SIGHUP and puts the standard configuration back when it ends (own_config).

# The auth blocks, as an operator writes them (indented for write_sluice_config's upstream).
auth_negotiate_yaml() { # [PRINCIPAL KEYTAB]
  printf '      negotiate: { principal: %s, keytab: %s, krb5_conf: %s }\n' "${1:-$AUTH_GW_PRINCIPAL}" \
    "${2:-$AUTH_GW_KEYTAB}" "$AUTH_KRB5_CONF"
}
auth_ntlm_yaml() { # [PASSWORD_FILE]
  printf '      ntlm: { username: %s, domain: %s, password_file: %s }\n' "$AUTH_NTLM_USER" "$AUTH_NTLM_DOMAIN" \
    "${1:-$AUTH_NTLM_PASSWORD_FILE}"
}
auth_basic_yaml() {
  printf '      basic: { username: %s, password_file: %s }\n' "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE"
}

# auth_upstream PROXY_URL AUTH_LINES [EXTRA]: the corp upstream is that one proxy with that auth; applied now.
auth_upstream() {
  own_config
  UPSTREAM_YAML="    proxies: [$1]
    health: { fall: 100 }
    auth:
$2${3:+
$3}" write_sluice_config big.example.test
  reload_sluice || fail "Sluice refused the configuration: $(grep -A 3 'reload refused' "$T/sluice/stderr" | tail -n 3 | tr '\n' ' ')"
}

# go_download NAME: a real `go mod download` from dev, as in case 1, with its own empty module cache; prints Sum.
go_download() {
  local w=$T/go-$1 sum
  rm -rf "$w"
  mkdir -p "$w/empty" "$w/home"
  (cd "$w/empty" && dev env HOME="$w/home" GOPATH="$w/gopath" GOMODCACHE="$w/gopath/pkg/mod" GOCACHE="$w/cache" \
    GOPROXY=https://proxy.golang.org GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local SSL_CERT_FILE="$CA" \
    timeout 60 go mod download -json "$MODULE@$MODULE_VERSION") >"$CASE_DIR/go-$1.json" 2>"$CASE_DIR/go-$1.err" ||
    { cat "$CASE_DIR/go-$1.json" "$CASE_DIR/go-$1.err" >&2; fail "go mod download ($1) failed: $(tail -n 1 "$CASE_DIR/go-$1.err")"; }
  sum=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("Sum") or d.get("Error"))' "$CASE_DIR/go-$1.json")
  [[ $sum == "$MODULE_H1" ]] || fail "module hash ($1): go says '$sum', computed at setup $MODULE_H1"
  rm -rf "$w"
  printf '%s\n' "$sum"
}

# squid_user NAME: the user Squid logged for the last CONNECT proxy.golang.org:443 in that Squid's access.log.
squid_user() {
  awk '/CONNECT proxy.golang.org:443/ { u = $8 } END { print u }' "$T/auth-lab/squid-$1/access.log"
}
# metric NAME_AND_LABELS: the value of one series from Sluice's /metrics (0 when absent).
metric() { admin /metrics | awk -v s="$1" 'index($0, s " ") == 1 { v = $2 } END { print v + 0 }'; }

# auth_go_case SQUID SCHEME WANT_USER PROXY_URL AUTH_LINES: go mod download through that Squid with that auth.
auth_go_case() {
  local squid=$1 scheme=$2 want=$3 skip sum user attempts
  auth_upstream "$4" "$5"
  skip=$(alog_lines)
  sum=$(go_download "$squid")
  expect_log "for proxy.golang.org through the $squid Squid" "$skip" sni=proxy.golang.org outcome=ok "auth=$scheme" \
    "proxy=$AUTH_PROXY_NAME:${AUTH_SQUID_PORT[$squid]}"
  wait_for 5 "the $squid Squid to log the CONNECT" grep -q "CONNECT proxy.golang.org:443" \
    "$T/auth-lab/squid-$squid/access.log" || fail "the $squid Squid logged no CONNECT proxy.golang.org:443"
  user=$(squid_user "$squid")
  [[ $user == "$want" ]] || fail "the $squid Squid logged user '$user', expected '$want'"
  attempts=$(alog attempts "$ACCESS_LOG" "$skip" sni=proxy.golang.org outcome=ok | head -n 1 | sed 's/ null$/ ok/')
  note "go mod download Sum $sum; auth $scheme; Squid logged $user; attempt: ${attempts}"
}

case_auth_basic_go() { auth_go_case basic basic "$AUTH_BASIC_USER" "$AUTH_BASIC_PROXY" "$(auth_basic_yaml)"; }
case_auth_negotiate_go() {
  local a
  auth_go_case negotiate negotiate "$AUTH_GW_PRINCIPAL" "$AUTH_NEGOTIATE_PROXY" "$(auth_negotiate_yaml)"
  a=$(cat "$CASE_DIR/note")
  grep -q "kerberos: logged in as $AUTH_GW_PRINCIPAL" "$T/sluice/stderr" ||
    fail "Sluice did not log its Kerberos login: $(grep -i kerberos "$T/sluice/stderr" | tail -n 2 | tr '\n' ' ')"
  # README "In a Windows domain", step 5, as an operator runs it on the gateway (here: the gw namespace)
  in_ns "$NS_GW" env KRB5_CONFIG="$AUTH_KRB5_CONF" KRB5CCNAME="FILE:$CASE_DIR/ccache" \
    sh -c "kinit -kt '$AUTH_GW_KEYTAB' '$AUTH_GW_PRINCIPAL' && klist && kvno '$AUTH_HTTP_PRINCIPAL'" \
    >"$CASE_DIR/kinit.out" 2>&1 || fail "kinit/klist/kvno as the README shows: $(tail -n 1 "$CASE_DIR/kinit.out")"
  grep -q "kvno = " "$CASE_DIR/kinit.out" || fail "kvno printed no key version: $(cat "$CASE_DIR/kinit.out")"
  sluice check --config "$SLUICE_CONF" >"$CASE_DIR/check.out" 2>&1 || fail "sluice check: $(cat "$CASE_DIR/check.out")"
  sluice explain --config "$SLUICE_CONF" --sni proxy.golang.org --client "$DEV_IP" >"$CASE_DIR/explain.out" 2>&1 ||
    fail "sluice explain: $(cat "$CASE_DIR/explain.out")"
  grep -q "negotiate as $AUTH_GW_PRINCIPAL (SPN HTTP@$AUTH_PROXY_NAME, spnego)" "$CASE_DIR/explain.out" ||
    fail "explain does not show the SPN: $(cat "$CASE_DIR/explain.out")"
  note "$a; kinit/klist/kvno, check and explain as the README shows"
}
case_auth_ntlm_go() {
  auth_go_case ntlm ntlm "$AUTH_NTLM_DOMAIN\\\\$AUTH_NTLM_USER" "$AUTH_NTLM_PROXY" "$(auth_ntlm_yaml)"
  # the password was really checked: winbindd's audit line names the NTLMv2 logon
  grep -q "NTLMv2" "$T/ntlm/log/"* 2>/dev/null || log "(winbindd's log does not name NTLMv2; see the evidence)"
}
# Both offered: Negotiate is preferred; with schemes: [ntlm, negotiate] NTLM goes first.
case_auth_both_go() {
  local first second skip
  auth_go_case both negotiate "$AUTH_GW_PRINCIPAL" "$AUTH_BOTH_PROXY" "$(auth_negotiate_yaml)
$(auth_ntlm_yaml)"
  first=$(cat "$CASE_DIR/note")
  auth_upstream "$AUTH_BOTH_PROXY" "$(auth_negotiate_yaml)
$(auth_ntlm_yaml)
      schemes: [ntlm, negotiate]"
  skip=$(alog_lines)
  go_download both-ntlm >/dev/null
  expect_log "with NTLM first" "$skip" sni=proxy.golang.org outcome=ok auth=ntlm
  second=$(squid_user both)
  [[ $second == "$AUTH_NTLM_DOMAIN\\\\$AUTH_NTLM_USER" ]] || fail "with schemes [ntlm, negotiate] Squid logged '$second'"
  note "$first; with schemes [ntlm, negotiate]: auth ntlm, Squid logged $second"
}
# keep_alive off: the 407 to a CONNECT without credentials closes; Sluice reconnects once and goes on.
case_auth_ntlm_close_go() {
  local skip a
  auth_go_case ntlm-close ntlm "$AUTH_NTLM_DOMAIN\\\\$AUTH_NTLM_USER" "$AUTH_NTLM_CLOSE_PROXY" "$(auth_ntlm_yaml)"
  grep -q "proxy_auth_failed\|proxy_error" <(alog show "$ACCESS_LOG" 0 "proxy=$AUTH_PROXY_NAME:$AUTH_NTLM_CLOSE_PORT") &&
    fail "a tunnel through the closing Squid failed: $(alog show "$ACCESS_LOG" 0 outcome~proxy_ | tail -n 1)"
  skip=$(alog_lines)
  dev_curl -o /dev/null https://proxy.golang.org/example.test/hello/@v/list 2>"$CASE_DIR/curl.err" ||
    fail "a second tunnel (NTLM sent at once) failed: $(cat "$CASE_DIR/curl.err")"
  expect_log "for the second tunnel" "$skip" sni=proxy.golang.org outcome=ok auth=ntlm
  a=$(cat "$CASE_DIR/note")
  note "$a; next tunnel: NTLM at once, ok"
}

# A wrong NTLM password: proxy_auth_failed naming the account, one WARN, the metric, and the proxy stays in service.
case_auth_wrong_password() {
  local bad=$CASE_DIR/wrong.pass skip rc=0 err warn before after health
  printf 'not-the-password\n' >"$bad"
  chmod 600 "$bad"
  auth_upstream "$AUTH_NTLM_PROXY" "$(auth_ntlm_yaml "$bad")"
  before=$(metric "sluice_upstream_auth_failures_total{proxy=\"$AUTH_PROXY_NAME:$AUTH_NTLM_PORT\",scheme=\"ntlm\",upstream=\"corp\"}")
  skip=$(alog_lines)
  dev_curl --max-time 10 -o /dev/null https://proxy.golang.org/ 2>"$CASE_DIR/curl.err" || rc=$?
  ((rc != 0)) || fail "the download worked with a wrong password"
  expect_log "for the refused credentials" "$skip" sni=proxy.golang.org outcome=proxy_auth_failed auth=ntlm \
    "error~proxy rejected the ntlm credentials of $AUTH_NTLM_DOMAIN.+$AUTH_NTLM_USER"
  err=$(alog show "$ACCESS_LOG" "$skip" outcome=proxy_auth_failed | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["error"])')
  wait_for 5 "Sluice's WARN about the refused credentials" grep -q "authentication to proxy .* failed" "$T/sluice/stderr" ||
    fail "no WARN line for the refused credentials"
  warn=$(grep "authentication to proxy .* failed" "$T/sluice/stderr" | tail -n 1)
  grep -q "not-the-password" "$T/sluice/stderr" "$ACCESS_LOG" && fail "the password shows in a log"
  after=$(metric "sluice_upstream_auth_failures_total{proxy=\"$AUTH_PROXY_NAME:$AUTH_NTLM_PORT\",scheme=\"ntlm\",upstream=\"corp\"}")
  ((after > before)) || fail "sluice_upstream_auth_failures_total{scheme=\"ntlm\"} did not count it ($before -> $after)"
  health=$(admin /healthz)
  [[ $health == ok ]] || fail "/healthz says '$health': a credentials problem took the proxy out of service"
  note "proxy_auth_failed: $err; WARN: ${warn#*WARN  }; auth_failures_total $before -> $after; /healthz ok"
}

# A principal the proxy's ACL refuses: the 403 is the proxy's policy (proxy_denied), not an auth failure.
case_auth_refused_principal() {
  local skip rc=0
  auth_upstream "$AUTH_NEGOTIATE_PROXY" "$(auth_negotiate_yaml "$AUTH_REFUSED_PRINCIPAL" "$AUTH_REFUSED_KEYTAB")"
  skip=$(alog_lines)
  dev_curl --max-time 10 -o /dev/null https://proxy.golang.org/ 2>"$CASE_DIR/curl.err" || rc=$?
  ((rc != 0)) || fail "the refused principal got a tunnel"
  expect_log "for the refused principal" "$skip" sni=proxy.golang.org outcome=proxy_denied auth=negotiate \
    "error~403 Forbidden"
  wait_for 5 "Squid to log the refused principal" grep -q "$AUTH_REFUSED_PRINCIPAL" \
    "$T/auth-lab/squid-negotiate/access.log" || fail "Squid did not log $AUTH_REFUSED_PRINCIPAL: was it authenticated?"
  note "proxy_denied ($(alog show "$ACCESS_LOG" "$skip" outcome=proxy_denied | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["error"])')); Squid authenticated $AUTH_REFUSED_PRINCIPAL, then refused it"
}

# A keytab with an old key: the login fails with one clear line, tunnels through that upstream fail with the
# reason, and another upstream (Basic) keeps serving.
case_auth_bad_keytab() {
  local skip rc=0 login err
  # the corp upstream with the old key; a second upstream for big.example.test, with Basic: the rest goes on
  own_config
  UPSTREAM_YAML="    proxies: [$AUTH_NEGOTIATE_PROXY]
    health: { fall: 100 }
    auth:
$(auth_negotiate_yaml "$AUTH_GW_PRINCIPAL" "$AUTH_GW_OLD_KEYTAB")
  basic:
    proxies: [$AUTH_BASIC_PROXY]
    auth:
$(auth_basic_yaml)" write_sluice_config proxy.golang.org "  - { name: big, sni: [big.example.test], action: splice, upstream: basic }
"
  reload_sluice || fail "Sluice refused the two-upstream configuration"
  wait_for 15 "Sluice to log the failed login" grep -q "kerberos: login as $AUTH_GW_PRINCIPAL from $AUTH_GW_OLD_KEYTAB failed" \
    "$T/sluice/stderr" || fail "no log line for the failed login: $(grep -i kerberos "$T/sluice/stderr" | tail -n 2 | tr '\n' ' ')"
  login=$(grep "kerberos: login as $AUTH_GW_PRINCIPAL from $AUTH_GW_OLD_KEYTAB failed" "$T/sluice/stderr" | tail -n 1)
  skip=$(alog_lines)
  dev_curl --max-time 10 -o /dev/null https://proxy.golang.org/ 2>"$CASE_DIR/curl.err" || rc=$?
  ((rc != 0)) || fail "a tunnel worked with a keytab of an old key"
  expect_log "for the tunnel without a ticket" "$skip" sni=proxy.golang.org outcome=proxy_auth_failed \
    "error~kerberos"
  err=$(alog show "$ACCESS_LOG" "$skip" outcome=proxy_auth_failed | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["error"])')
  dev_curl -o "$T/work/mid-basic.bin" https://big.example.test/mid.bin 2>"$CASE_DIR/curl-basic.err" ||
    fail "the other upstream stopped serving: $(cat "$CASE_DIR/curl-basic.err")"
  [[ $(sha "$T/work/mid-basic.bin") == "$MID_SHA" ]] || fail "sha256 differs through the other upstream"
  rm -f "$T/work/mid-basic.bin"
  kill -0 "$SLUICE_PID" || fail "Sluice died"
  note "login: ${login#*WARN  }; tunnel: proxy_auth_failed ($err); the Basic upstream still served 1 MiB, sha256 equal"
}

# The KDC stopped mid-run: the ticket (and the proxy's service ticket) held keep every new tunnel working.
case_auth_kdc_down() {
  local skip i n=20 ok
  auth_upstream "$AUTH_NEGOTIATE_PROXY" "$(auth_negotiate_yaml)"
  dev_curl -o /dev/null https://proxy.golang.org/example.test/hello/@v/list 2>"$CASE_DIR/warm.err" ||
    fail "the first tunnel (with the KDC up) failed: $(cat "$CASE_DIR/warm.err")"
  kdc_stop || fail "kdc_stop failed"
  skip=$(alog_lines)
  for ((i = 0; i < n; i++)); do
    dev_curl -o /dev/null https://proxy.golang.org/example.test/hello/@v/list 2>>"$CASE_DIR/down.err" ||
      { kdc_start; fail "tunnel $i with the KDC stopped failed: $(tail -n 1 "$CASE_DIR/down.err")"; }
  done
  kdc_start || fail "kdc_start failed"
  wait_for 5 "$n ok lines" alog_has "$n" "$skip" sni=proxy.golang.org outcome=ok auth=negotiate ||
    fail "not all $n tunnels with the KDC stopped were ok with negotiate"
  ok=$(alog count "$ACCESS_LOG" "$skip" sni=proxy.golang.org outcome=ok auth=negotiate)
  note "KDC stopped: $ok of $n new tunnels ok with Negotiate (the ticket held); KDC started again"
}

# A ticket lifetime of 3 minutes outlived by a soak: Sluice logs in again before it ends, no tunnel fails.
case_auth_ticket_soak() {
  local skip end n=0 bad=0 logins
  auth_upstream "$AUTH_NEGOTIATE_PROXY" "$(auth_negotiate_yaml "$AUTH_SHORT_PRINCIPAL" "$AUTH_SHORT_KEYTAB")"
  skip=$(alog_lines)
  end=$(($(now_ms) + (AUTH_SHORT_LIFE + 30) * 1000))
  while (($(now_ms) < end)); do
    if dev_curl --max-time 10 -o /dev/null https://proxy.golang.org/example.test/hello/@v/list 2>>"$CASE_DIR/soak.err"; then
      n=$((n + 1))
    else
      bad=$((bad + 1))
    fi
    sleep 0.2
  done
  logins=$(count_in "$T/sluice/stderr" "kerberos: logged in as $AUTH_SHORT_PRINCIPAL")
  ((bad == 0)) || fail "$bad of $((n + bad)) tunnels failed during the soak: $(tail -n 1 "$CASE_DIR/soak.err")"
  ((logins >= 2)) || fail "Sluice logged in as $AUTH_SHORT_PRINCIPAL $logins time(s) in $((AUTH_SHORT_LIFE + 30)) s"
  wait_for 5 "$n ok lines" alog_has "$n" "$skip" sni=proxy.golang.org outcome=ok auth=negotiate ||
    fail "the access log does not have $n ok negotiate lines"
  note "$n tunnels over $((AUTH_SHORT_LIFE + 30)) s with a ${AUTH_SHORT_LIFE} s ticket: 0 failed; $logins logins: $(grep "kerberos: logged in as $AUTH_SHORT_PRINCIPAL" "$T/sluice/stderr" | tail -n 1 | sed 's/.*kerberos: //')"
}

# ---- setup latency and CPU per tunnel of each scheme, from one run ----
AUTH_BENCH_N=${SLUICE_E2E_AUTH_BENCH_N:-1000}
AUTH_BENCH_WARMUP=300
# bench_sluice NAME PORT [JVM OPTION...]: a Sluice of its own in gw (not transparent: dev connects to gw:PORT),
# one upstream per scheme, chosen by the name in the hello; started with the shipped JVM flags (conf/jvm.options).
bench_sluice() {
  local name=$1 port=$2 conf=$CASE_DIR/$1.yaml
  shift 2
  cat >"$conf" <<YAML
listeners: [{ name: bench, listen: 0.0.0.0:$port, default_port: 443 }]
clients: [192.168.77.0/24]
upstreams:
  none: { proxies: [http://$SQUID_IP:$SQUID_PORT] }
  basic:
    proxies: [$AUTH_BASIC_PROXY]
    auth:
$(auth_basic_yaml)
  negotiate:
    proxies: [$AUTH_NEGOTIATE_PROXY]
    auth:
$(auth_negotiate_yaml)
  ntlm:
    proxies: [$AUTH_NTLM_PROXY]
    auth:
$(auth_ntlm_yaml)
rules:
  - { sni: [sum.golang.org], action: splice, upstream: none }
  - { sni: [big.example.test], action: splice, upstream: basic }
  - { sni: [proxy.golang.org], action: splice, upstream: negotiate }
  - { sni: [blocked.example.test], action: splice, upstream: ntlm }
access_log: $CASE_DIR/$name-access.log
YAML
  # bin/sluice with the shipped conf/jvm.options: what a gateway runs with (bench/README.md explains their choice);
  # this bench's own flags (ARGS) after them, through SLUICE_JAVA_OPTS
  launcher "$@"
  ip netns exec "$NS_GW" "${LAUNCHER[@]}" run --config "$conf" \
    >"$CASE_DIR/$name.out" 2>"$CASE_DIR/$name.err" {LOCK_FD}<&- &
  BENCH_PID=$!
  wait_for 30 "the $name Sluice to listen" grep -q "listener bench bound" "$CASE_DIR/$name.err" ||
    fail "the $name Sluice did not start: $(tail -n 3 "$CASE_DIR/$name.err")"
}
# bench_warmup PORT NAME: tunnels that are not measured (the JIT compiles the paths first).
bench_warmup() {
  dev python3 "$E2E/lib/setup-latency.py" "$CA" "$AUTH_BENCH_WARMUP" 1 "warm-up=$GW_LAN_IP:$1:$2:$BENCH_PID" >/dev/null ||
    fail "warm-up tunnels to $2 via :$1 failed"
}
BENCH_PIDS=()
case_auth_setup_bench() {
  local main_pid first_pid name
  : >"$CASE_DIR/table.md"
  trap 'kill -TERM "${BENCH_PIDS[@]}" 2>/dev/null || true' EXIT
  bench_sluice bench 8451
  main_pid=$BENCH_PID
  BENCH_PIDS+=("$main_pid")
  bench_sluice first 8452 -Dsluice.auth.preemptive=false
  first_pid=$BENCH_PID
  BENCH_PIDS+=("$first_pid")
  BENCH_PID=$main_pid
  for name in sum.golang.org big.example.test proxy.golang.org blocked.example.test; do bench_warmup 8451 "$name"; done
  BENCH_PID=$first_pid
  bench_warmup 8452 proxy.golang.org
  # the five measured interleaved, in 5 rounds of N/5 tunnels each (setup-latency.py)
  dev python3 "$E2E/lib/setup-latency.py" "$CA" "$AUTH_BENCH_N" 5 \
    "no auth (Squid 3128)=$GW_LAN_IP:8451:sum.golang.org:$main_pid" \
    "basic (sent at once: 1 leg)=$GW_LAN_IP:8451:big.example.test:$main_pid" \
    "negotiate, preemptive (1 leg)=$GW_LAN_IP:8451:proxy.golang.org:$main_pid" \
    "negotiate, first (407, then the token: 2 legs)=$GW_LAN_IP:8452:proxy.golang.org:$first_pid" \
    "ntlm (negotiate message at once: 2 legs)=$GW_LAN_IP:8451:blocked.example.test:$main_pid" \
    >>"$CASE_DIR/table.md" 2>"$CASE_DIR/bench.err" || fail "setup bench: $(head -n 1 "$CASE_DIR/bench.err")"
  kill -TERM "${BENCH_PIDS[@]}" 2>/dev/null || true
  cat "$CASE_DIR/table.md" >&2
  cp "$CASE_DIR/table.md" "$T/auth-setup-bench.md"
  note "$(tail -n 5 "$CASE_DIR/table.md" | awk -F' *[|] *' '{ printf "%s%s: p50 %s, p99 %s ms, CPU %s ms", (NR > 1 ? "; " : ""), $2, $4, $5, $7 }')"
}

# Plain HTTP (port 80, Sluice's `http` listener) through the same Squids, 11l-11o: lib/auth-http-cases.sh.
# shellcheck source=e2e/lib/auth-http-cases.sh
source "$E2E/lib/auth-http-cases.sh"
