# shellcheck shell=bash
# Plain HTTP through the auth lab's Squids (lib/auth-lab.sh), cases 11l-11o: a developer with no proxy settings
# runs `curl http://deb.example.test/...` (port 80, handed by gw's REDIRECT to Sluice's `http` listener), and
# Sluice forwards each request in absolute form to the Squid under test, which wants Basic, NTLM or Negotiate.
# Each new proxy connection is authenticated first by a probe (`HEAD` of the first request's URI, forwarded by
# Squid once it has accepted us); Basic then goes with every request, and for NTLM and Negotiate the requests
# after it carry no header (Squid ties the two schemes to the connection). The origin is the HTTP lab's nginx (lib/http-lab.sh). What each case ran and saw
# goes to $T/http-transcript.txt (lib/http-cases.sh's helpers), printed after the table. Sourced by
# lib/auth-cases.sh (for auth_upstream and the auth blocks).

# The method of Sluice's probe (Dialer.forHttp, ConnectRequest.probe): what the assertions on "one probe per proxy
# connection, forwarded once authenticated" look for in Squid's logs. (OPTIONS with Max-Forwards: 0, the first
# design, got Squid's 501 before any authentication: e2e/README.md.)
AH_PROBE=HEAD

# ---- the Squid's conn.log: "TIME IP:PORT CODE/STATUS METHOD URL USER HIERARCHY/PEER", one line per request ----
# The client's port tells which connection from the gateway carried a request (conn.log: lib/auth-lab.sh).
ah_conn_log() { printf '%s' "$T/auth-lab/squid-$1/conn.log"; }
ah_squid_log() { printf '%s' "$T/auth-lab/squid-$1/access.log"; }
# ah_lines FILE: its number of lines (0 when it does not exist yet).
ah_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }
# ah_after FILE SKIP: its lines after the first SKIP.
ah_after() { tail -n +$(($2 + 1)) "$1" 2>/dev/null || true; }
# ah_probes SQUID SKIP: the Squid's answers to the probe after SKIP conn.log lines, "STATUS HIERARCHY PORT" each.
ah_probes() {
  ah_after "$(ah_conn_log "$1")" "$2" | awk -v m="$AH_PROBE" '$4 == m { split($3, c, "/"); n = split($2, a, ":"); sub(/\/.*/, "", $7)
    print c[2], $7, a[n] }'
}
# ah_final_probes SQUID SKIP: those that are not 407 (the probe's last leg: a 407 is a leg of the handshake).
ah_final_probes() { ah_probes "$@" | awk '$1 != 407'; }
# ah_gets SQUID SKIP URL: conn.log's GETs of URL after SKIP, "STATUS PORT" each.
ah_gets() {
  ah_after "$(ah_conn_log "$1")" "$2" | awk -v u="$3" '$4 == "GET" && $5 == u { split($3, c, "/"); n = split($2, a, ":")
    print c[2], a[n] }'
}
# ah_user SQUID SKIP URL: the user the Squid's access.log (native format: its 8th field) names for the last GET of URL.
ah_user() { ah_after "$(ah_squid_log "$1")" "$2" | awk -v u="$3" '$6 == "GET" && $7 == u { x = $8 } END { print x }'; }
# ah_gets_logged SQUID SKIP N URL: the Squid logged at least N GETs of URL after SKIP.
ah_gets_logged() { (($(ah_gets "$1" "$2" "$4" | wc -l) >= $3)); }
# ah_probe_summary SQUID SKIP: "407 HIER_NONE, 501 HIER_NONE" (every answer to the probe, in order), or "none".
ah_probe_summary() {
  local s
  s=$(ah_probes "$1" "$2" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
  printf '%s' "${s:-none}"
}

# ---- Sluice's lines ----
# ah_show SKIP: Sluice's lines of the http listener after SKIP (requests and connections), the fields that say
# how the request went, into the transcript and the case's log.
ah_show() {
  alog show "$ACCESS_LOG" "$1" listener=http | python3 -c '
import json, sys
req = ("method", "host", "path", "rule", "proxy", "status", "outcome", "bytes_down", "error")
conn = ("name", "name_from", "dst", "rule", "upstream", "proxy", "auth", "outcome", "bytes_down", "error")
for line in sys.stdin:
    e = json.loads(line)
    keys = req if "method" in e else conn
    text = " ".join("%s=%s" % (k, json.dumps(e.get(k)).strip(chr(34))) for k in keys)
    if "method" not in e:
        text += " attempts=" + ",".join("%s:%s" % (a.get("via"), a.get("error") or "ok") for a in e.get("attempts") or [])
    print("  sluice %s: %s" % ("request" if "method" in e else "connection", text))' |
    tee -a "$T/http-transcript.txt" >&2
}
# ah_request_field SKIP FIELD COND...: FIELD of the last request line after SKIP that matches (empty when none).
ah_request_field() {
  local skip=$1 field=$2
  shift 2
  alog show "$ACCESS_LOG" "$skip" "$HTTP_REQUEST_LINE" "$@" |
    python3 -c 'import json,sys; l=[json.loads(x) for x in sys.stdin]; print(l[-1].get(sys.argv[1]) if l else "")' "$field"
}
# ah_squid_show SQUID SKIP_ACCESS SKIP_CONN: the Squid's new access.log and conn.log lines into the transcript.
ah_squid_show() {
  ah_after "$(ah_squid_log "$1")" "$2" | sed "s/^/  squid $1 access.log: /" | tee -a "$T/http-transcript.txt" >&2
  ah_after "$(ah_conn_log "$1")" "$3" | sed "s/^/  squid $1 conn.log: /" | tee -a "$T/http-transcript.txt" >&2
}

# ah_fetch SQUID NAME URL...: curl from dev (no proxy settings) with URL(s) on one connection, each into
# $CASE_DIR/NAME.N; prints curl's "status connections" per URL, one a line; waits until Sluice logged a request line
# per URL and the Squid logged its answers; the transcript gets the command and what it got.
ah_fetch() {
  local squid=$1 name=$2 i=0 args=() u rc=0 out
  shift 2
  for u in "$@"; do
    args+=(-o "$CASE_DIR/$name.$i" "$u")
    i=$((i + 1))
  done
  say_http "dev\$ curl$(printf ' %s' "$@")   (no proxy settings; port 80 captured by gw)"
  out=$(dev curl -sS --max-time 30 -w '%{http_code} %{num_connects}\n' "${args[@]}" 2>"$CASE_DIR/$name.err") || rc=$?
  say_http "  curl exit $rc; per URL: status connections-opened: $(printf '%s' "$out" | paste -sd ';' | sed 's/;/; /g')"
  [[ ! -s $CASE_DIR/$name.err ]] || say_out "$CASE_DIR/$name.err"
  wait_for 5 "Sluice's request lines" alog_has "$#" "$AH_SKIP" "$HTTP_REQUEST_LINE" "host=$HTTP_DEB_NAME" >&2 || true
  wait_for 3 "the $squid Squid to log its answers" ah_squid_idle "$squid" >&2 || true
  printf '%s\n' "$out"
}
# ah_squid_idle SQUID: its conn.log did not grow in the last 0.3 s (the last transaction is logged).
ah_squid_idle() {
  local a b
  a=$(ah_lines "$(ah_conn_log "$1")")
  sleep 0.3
  b=$(ah_lines "$(ah_conn_log "$1")")
  ((a == b))
}

# auth_http_case SQUID SCHEME WANT_USER PROXY_URL AUTH_LINES: one request, then two on one connection, through
# that Squid with that auth (see e2e/README.md, 11l-11o).
auth_http_case() {
  local squid=$1 scheme=$2 want=$3 proxy url1 url2 sha2 sq sc cl nl out code got probes finals status port user
  local ports probe1 probe2 first err
  proxy=$AUTH_PROXY_NAME:${AUTH_SQUID_PORT[$squid]}
  url1=$HTTP_DEB_URL/$HTTP_DEB_FILE
  url2=$HTTP_DEB_URL/dists/stable/InRelease
  sha2=$(sha "$H/deb/debian/dists/stable/InRelease")
  auth_upstream "$4" "$5"
  http_case
  say_http "(Sluice's upstream corp: $4 only, auth $scheme)"

  # ---- one request on a connection of its own ----
  AH_SKIP=$(alog_lines)
  sq=$(ah_lines "$(ah_squid_log "$squid")")
  sc=$(ah_lines "$(ah_conn_log "$squid")")
  cl=$(ah_lines "$T/auth-lab/squid-$squid/cache.log")
  nl=$(ah_lines "$H/nginx-access.log")
  out=$(ah_fetch "$squid" one "$url1")
  read -r code _ <<<"$out"
  probes=$(ah_probe_summary "$squid" "$sc")
  first=$probes
  probe1="Squid's answers to the $AH_PROBE probe: $probes"
  say_http "  $probe1"
  ah_squid_show "$squid" "$sq" "$sc"
  ah_show "$AH_SKIP"
  if [[ -n $(ah_after "$T/auth-lab/squid-$squid/cache.log" "$cl") ]]; then
    say_http "  squid $squid cache.log meanwhile:"
    ah_after "$T/auth-lab/squid-$squid/cache.log" "$cl" | sed 's/^/    /' | tee -a "$T/http-transcript.txt" >&2
  fi
  if [[ $code != 200 ]]; then
    err=$(ah_request_field "$AH_SKIP" error "host=$HTTP_DEB_NAME")
    fail "curl $url1 got HTTP '${code:-none}' ($(head -c 160 "$CASE_DIR/one.0" 2>/dev/null | tr '\r\n' '  '));" \
      "Sluice: outcome $(ah_request_field "$AH_SKIP" outcome "host=$HTTP_DEB_NAME"), error '$err'; $probe1"
  fi
  got=$(sha "$CASE_DIR/one.0")
  say_http "  sha256 $got (the repository's: $HTTP_DEB_SHA)"
  [[ $got == "$HTTP_DEB_SHA" ]] || fail "the body's sha256 is $got, the file's $HTTP_DEB_SHA"
  http_expect "for the GET through the $squid Squid" "$AH_SKIP" GET "$HTTP_DEB_NAME" "^/debian/$(rx "$HTTP_DEB_FILE")\$" \
    200 outcome=ok rule=http-sites "proxy=$proxy"
  expect_log "for the client's connection, auth $scheme" "$AH_SKIP" listener=http method=null \
    "name=$HTTP_DEB_NAME" outcome=ok "auth=$scheme" "proxy=$proxy"
  # Squid: the GET by name, absolute form, as the account, fetched from the origin
  wait_for 5 "the $squid Squid to log GET $url1" ah_gets_logged "$squid" "$sc" 1 "$url1" ||
    fail "the $squid Squid logged no GET $url1; $probe1"
  read -r status port < <(ah_gets "$squid" "$sc" "$url1" | tail -n 1)
  [[ $status == 200 ]] || fail "the $squid Squid answered GET $url1 with $status"
  user=$(ah_user "$squid" "$sq" "$url1")
  [[ $user == "$want" ]] || fail "the $squid Squid logged GET $url1 as user '$user', expected '$want'"
  finals=$(ah_final_probes "$squid" "$sc")
  [[ $(grep -c . <<<"$finals") == 1 ]] || fail "not one answered probe for one proxy connection: $probe1"
  [[ $(awk '{ print $3 }' <<<"$finals") == "$port" ]] ||
    fail "the GET came on another connection (port $port) than the probe's ($finals)"
  [[ $(awk '{ print $2 }' <<<"$finals") == HIER_DIRECT* ]] ||
    fail "Squid did not forward the $AH_PROBE probe once it had accepted us ($finals): $probe1"
  (($(ah_after "$H/nginx-access.log" "$nl" | grep -cF "\"$AH_PROBE ") == 1)) ||
    fail "the origin did not get the $AH_PROBE probe exactly once: $(ah_after "$H/nginx-access.log" "$nl" | paste -sd ';')"
  if ah_after "$(ah_conn_log "$squid")" "$sc" | awk '$4 == "GET" && $3 ~ /\/407$/' | grep . >&2; then
    fail "Squid challenged a GET on the authenticated connection (above): the scheme was not kept on it"
  fi

  # ---- two requests on one connection: one probe ----
  AH_SKIP=$(alog_lines)
  sq=$(ah_lines "$(ah_squid_log "$squid")")
  sc=$(ah_lines "$(ah_conn_log "$squid")")
  out=$(ah_fetch "$squid" two "$url1" "$url2")
  probes=$(ah_probe_summary "$squid" "$sc")
  probe2="Squid's answers to the $AH_PROBE probe: $probes"
  say_http "  $probe2"
  ah_squid_show "$squid" "$sq" "$sc"
  ah_show "$AH_SKIP"
  [[ $(awk '{ print $1 }' <<<"$out" | paste -sd ' ') == "200 200" ]] ||
    fail "curl $url1 $url2 got '$(paste -sd ' ' <<<"$out")'; $probe2"
  [[ $(awk 'NR == 2 { print $2 }' <<<"$out") == 0 ]] || fail "curl opened a second connection for the second URL"
  [[ $(sha "$CASE_DIR/two.0") == "$HTTP_DEB_SHA" && $(sha "$CASE_DIR/two.1") == "$sha2" ]] ||
    fail "a body of the two requests differs from its file"
  wait_for 5 "the $squid Squid to log both GETs" ah_gets_logged "$squid" "$sc" 1 "$url2" ||
    fail "the $squid Squid logged no GET $url2"
  ports=$( { ah_gets "$squid" "$sc" "$url1"; ah_gets "$squid" "$sc" "$url2"; } | sort -u)
  [[ $(grep -c . <<<"$ports") == 1 && $ports == "200 "* ]] ||
    fail "the two GETs were not both 200 on one proxy connection: $(paste -sd ';' <<<"$ports")"
  finals=$(ah_final_probes "$squid" "$sc")
  [[ $(grep -c . <<<"$finals") == 1 ]] || fail "two requests on one connection, but not one answered probe: $probe2"
  [[ $(awk '{ print $3 }' <<<"$finals") == "${ports#200 }" ]] ||
    fail "the GETs came on another connection (port ${ports#200 }) than the probe's ($finals)"
  expect_log "for both requests" "$AH_SKIP" "$HTTP_REQUEST_LINE" "host=$HTTP_DEB_NAME" status=200 outcome=ok
  (($(alog count "$ACCESS_LOG" "$AH_SKIP" "$HTTP_REQUEST_LINE" status=200 outcome=ok "proxy=$proxy") == 2)) ||
    fail "Sluice did not log both requests 200 ok through $proxy"
  rm -f "$CASE_DIR"/one.* "$CASE_DIR"/two.*
  note "GET sha256 right; Squid: GET http://$HTTP_DEB_NAME/... as $want; Sluice: request 200 ok, connection auth $scheme;" \
    "the $AH_PROBE probe answered: $first (one request), $probes (curl URL1 URL2: both 200 on one proxy connection)"
}

case_auth_http_basic() { auth_http_case basic basic "$AUTH_BASIC_USER" "$AUTH_BASIC_PROXY" "$(auth_basic_yaml)"; }
case_auth_http_ntlm() {
  auth_http_case ntlm ntlm "$AUTH_NTLM_DOMAIN\\\\$AUTH_NTLM_USER" "$AUTH_NTLM_PROXY" "$(auth_ntlm_yaml)"
}
case_auth_http_negotiate() {
  auth_http_case negotiate negotiate "$AUTH_GW_PRINCIPAL" "$AUTH_NEGOTIATE_PROXY" "$(auth_negotiate_yaml)"
}
# keep_alive off: the 407 to the probe without credentials closes the connection; Sluice goes on on a new one.
case_auth_http_ntlm_close() {
  auth_http_case ntlm-close ntlm "$AUTH_NTLM_DOMAIN\\\\$AUTH_NTLM_USER" "$AUTH_NTLM_CLOSE_PROXY" "$(auth_ntlm_yaml)"
}
