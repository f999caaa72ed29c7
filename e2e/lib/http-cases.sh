# shellcheck shell=bash
# The HTTP lab's cases (lib/http-lab.sh): a developer with no proxy settings uses plain HTTP on port 80, which
# gw's REDIRECT hands to Sluice's `http` listener, which forwards each request to Squid in absolute form, by name.
# apt from a signed repository, curl with 256 MiB both ways, git over smart HTTP, and a refused Host. Sourced by
# e2e/run. What the developer ran and saw goes to $T/http-transcript.txt (printed after the table).

say_http() { printf '%s\n' "$*" >>"$T/http-transcript.txt"; }
# say_out FILE: FILE's lines, indented, into the transcript and the case's log.
say_out() { sed -e 's/\r$//' -e 's/^/  /' "$1" | tee -a "$T/http-transcript.txt" >&2; }
http_case() { say_http "## $CASE_NAME"; }

# ---- the access log's HTTP request lines ----
# Sluice writes one line per HTTP request. The names of its request fields are here and nowhere else: if they
# change, change http_conds (and HTTP_SHOW_KEYS).
# http_conds METHOD HOST PATH_REGEX STATUS: alog conditions for one request, one a line.
http_conds() { printf '%s\n' "method=$1" "host=$2" "path~$3" "status=$4"; }
# http_body_up BYTES, http_body_down BYTES: the condition that the request's body, the response's body, was BYTES.
http_body_up() { printf 'bytes_up=%s\n' "$1"; }
http_body_down() { printf 'bytes_down=%s\n' "$1"; }
# The condition that tells a request's line from a connection's.
HTTP_REQUEST_LINE='method~.'
HTTP_SHOW_KEYS='("listener", "client", "method", "host", "path", "status", "rule", "proxy", "outcome", "bytes_up", "bytes_down", "duration_ms", "error")'
# http_expect DESC SKIP METHOD HOST PATH_REGEX STATUS [COND...]: waits for the request's line (expect_log).
http_expect() {
  local desc=$1 skip=$2 conds
  mapfile -t conds < <(http_conds "$3" "$4" "$5" "$6")
  shift 6
  expect_log "$desc" "$skip" "${conds[@]}" "$@"
}
# http_via_squid SKIP: every request line after SKIP names Squid as its proxy (kept-alive connections too).
http_via_squid() {
  local all via
  all=$(alog count "$ACCESS_LOG" "$1" "$HTTP_REQUEST_LINE")
  via=$(alog count "$ACCESS_LOG" "$1" "$HTTP_REQUEST_LINE" "proxy=$SQUID_IP:$SQUID_PORT")
  ((all > 0 && via == all)) || fail "$((all - via)) of the $all requests' access-log lines do not name the proxy $SQUID_IP:$SQUID_PORT"
}
# http_show SKIP [COND...]: the matching lines, the fields above, into the transcript and the case's log.
http_show() {
  alog show "$ACCESS_LOG" "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print("  access log: " + " ".join("%s=%s" % (k, json.dumps(e.get(k)).strip(chr(34))) for k in '"$HTTP_SHOW_KEYS"' if k in e))' |
    tee -a "$T/http-transcript.txt" >&2
}

# ---- Squid's access.log (the suite's Squid; its native format: time elapsed client code/status bytes method URL
# user hierarchy/peer type) ----
http_squid_lines() { count_in "$T/squid/access.log" ""; }
# http_squid_requests SKIP: "client code/status method URL" of each line after the first SKIP.
http_squid_requests() { tail -n +$(($1 + 1)) "$T/squid/access.log" | awk '{ print $3, $4, $6, $7 }'; }
# http_squid_saw SKIP METHOD URL_REGEX: after SKIP, Squid answered METHOD URL from the gateway with 200. (Squid
# logs a URL's query as a bare "?": strip_query_terms.)
http_squid_saw() { http_squid_requests "$1" | grep -Eq "^$(rx "$GW_CORP_IP") [A-Z_]+/200 $2 $3\$"; }
# http_squid_expect SKIP METHOD URL_REGEX: waits (5 s) for that line, or fails the case.
http_squid_expect() {
  wait_for 5 "Squid's access.log to show $2 $3 from the gateway" http_squid_saw "$@" ||
    { http_squid_requests "$1" >&2; fail "Squid did not log $2 $3 (200, from $GW_CORP_IP)"; }
}
# http_squid_by_name SKIP: after SKIP, no request to the internet host's address, no CONNECT to port 80.
http_squid_by_name() {
  if http_squid_requests "$1" | awk -v ip="$INET_IP" 'index($4, ip) || ($3 == "CONNECT" && $4 ~ /:80$/) { print; bad = 1 }
      END { exit !bad }' >&2; then
    fail "Squid was asked for an address or a CONNECT to port 80 (above): plain HTTP must go by name, absolute form"
  fi
}
# http_squid_show SKIP: the lines after SKIP into the transcript.
http_squid_show() { tail -n +$(($1 + 1)) "$T/squid/access.log" | sed 's/^/  squid: /' | tee -a "$T/http-transcript.txt" >&2; }

mib_s() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1048576 : 0) }'; }

# ---- H1: apt-get update and apt-get download ----
case_http_apt() {
  local a=$H/apt-dev env skip sq deb got
  http_case
  mapfile -t env < <(http_apt_env "$a")
  deb=$(basename "$HTTP_DEB_FILE")
  skip=$(alog_lines)
  sq=$(http_squid_lines)
  say_http "dev\$ export APT_CONFIG=$a/apt.conf   (apt's directories all in $a; no proxy setting anywhere)"
  say_http "dev\$ cat $a/etc/sources.list"
  say_out "$a/etc/sources.list"
  say_http "dev\$ apt-get update"
  (cd "$a/home" && dev env "${env[@]}" timeout 60 apt-get --error-on=any update) >"$CASE_DIR/update.out" 2>&1 ||
    { say_out "$CASE_DIR/update.out"; fail "apt-get update failed: $(grep -v '^$' "$CASE_DIR/update.out" | tail -n 1)"; }
  say_out "$CASE_DIR/update.out"
  if grep -E 'NO_PUBKEY|not signed|insecure|unauthenticated|^W:|^E:|^Err:|^Ign:' "$CASE_DIR/update.out" >&2; then
    fail "apt-get update warned (above): the repository was not fetched and verified cleanly"
  fi
  grep -Eq "^Get:[0-9]+ $(rx "$HTTP_DEB_URL") stable InRelease" "$CASE_DIR/update.out" ||
    fail "apt-get update did not fetch $HTTP_DEB_URL stable InRelease"
  [[ -s $a/state/lists/${HTTP_DEB_NAME}_debian_dists_stable_InRelease ]] ||
    fail "no verified InRelease in apt's lists ($a/state/lists)"
  say_http "dev\$ apt-get download $HTTP_DEB_PKG"
  (cd "$a/home" && dev env "${env[@]}" timeout 60 apt-get download "$HTTP_DEB_PKG") >"$CASE_DIR/download.out" 2>&1 ||
    { say_out "$CASE_DIR/download.out"; fail "apt-get download failed: $(grep -v '^$' "$CASE_DIR/download.out" | tail -n 1)"; }
  say_out "$CASE_DIR/download.out"
  [[ -f $a/home/$deb ]] || fail "apt-get download left no $deb"
  got=$(sha "$a/home/$deb")
  say_http "dev\$ sha256sum $deb"
  say_http "  $got   (the repository's: $HTTP_DEB_SHA)"
  [[ $got == "$HTTP_DEB_SHA" ]] || fail "$deb: sha256 $got, the repository's $HTTP_DEB_SHA"
  http_expect "for GET InRelease" "$skip" GET "$HTTP_DEB_NAME" '^/debian/dists/stable/InRelease$' 200 \
    rule=http-sites "proxy=$SQUID_IP:$SQUID_PORT"
  http_expect "for GET of the .deb" "$skip" GET "$HTTP_DEB_NAME" "^/debian/$(rx "$HTTP_DEB_FILE")\$" 200 \
    rule=http-sites "proxy=$SQUID_IP:$SQUID_PORT"
  http_squid_expect "$sq" GET "http://$(rx "$HTTP_DEB_NAME")/debian/dists/stable/InRelease"
  http_squid_expect "$sq" GET "http://$(rx "$HTTP_DEB_NAME")/debian/$(rx "$HTTP_DEB_FILE")"
  http_show "$skip"
  http_squid_show "$sq"
  http_via_squid "$skip"
  http_squid_by_name "$sq"
  rm -f "$a/home/$deb"
  note "update: InRelease verified (signed-by), no warning; download: $deb sha256 right; Sluice logged both GETs; Squid: GET http://$HTTP_DEB_NAME/... by name"
}

# ---- H2: 256 MiB down and up with curl ----
case_http_big() {
  local down=$T/work/big256.bin up=$T/work/up256.bin skip sq stats code size secs got up_sha answer down_note
  http_case
  skip=$(alog_lines)
  sq=$(http_squid_lines)
  say_http "dev\$ curl -o big256.bin http://$HTTP_BIG_NAME$HTTP_BIG_PATH"
  stats=$(dev curl -sS --max-time 180 --speed-time 20 --speed-limit 1 -o "$down" \
    -w '%{http_code} %{size_download} %{time_total}' "http://$HTTP_BIG_NAME$HTTP_BIG_PATH" 2>"$CASE_DIR/down.err") ||
    { say_out "$CASE_DIR/down.err"; fail "the 256 MiB download failed: $(cat "$CASE_DIR/down.err")"; }
  read -r code size secs <<<"$stats"
  got=$(sha "$down")
  down_note="down ${secs} s ($(mib_s "$size" "$secs") MiB/s)"
  say_http "  HTTP $code, $size bytes in ${secs} s ($(mib_s "$size" "$secs") MiB/s); sha256 $got"
  say_http "  (nginx's file: $HTTP_BIG_SIZE bytes, sha256 $HTTP_BIG_SHA)"
  [[ $code == 200 ]] || fail "the download got HTTP $code"
  [[ $got == "$HTTP_BIG_SHA" ]] || fail "256 MiB down: sha256 $got ($(size_of "$down") bytes), want $HTTP_BIG_SHA"
  rm -f "$down"
  head -c "$HTTP_BIG_SIZE" /dev/urandom >"$up"
  up_sha=$(sha "$up")
  # The upload is capped at 200 MiB/s: faster, Squid 5.7 here resets the connection to its client now and then, with
  # or without Sluice (curl -x straight to Squid from the gateway, uncapped: 4 of 9 uploads reset at about 480 MiB/s;
  # capped at 150 or 200 MiB/s: 8 of 8 through Sluice and 3 of 3 straight were whole).
  say_http "dev\$ curl --limit-rate 200M -H 'Content-Type: application/octet-stream' --data-binary @up256.bin http://$HTTP_BIG_NAME/sha256"
  stats=$(dev curl -sS --max-time 180 --speed-time 20 --speed-limit 1 --limit-rate 200M -H 'Content-Type: application/octet-stream' \
    --data-binary "@$up" -o "$CASE_DIR/sha256.answer" -w '%{http_code} %{size_upload} %{time_total}' \
    "http://$HTTP_BIG_NAME/sha256" 2>"$CASE_DIR/up.err") ||
    { say_out "$CASE_DIR/up.err"; fail "the 256 MiB upload failed: $(cat "$CASE_DIR/up.err")"; }
  read -r code size secs <<<"$stats"
  answer=$(cat "$CASE_DIR/sha256.answer")
  say_http "  HTTP $code, $size bytes up in ${secs} s ($(mib_s "$size" "$secs") MiB/s); the server hashed: $answer"
  say_http "  (the file sent: $HTTP_BIG_SIZE bytes, sha256 $up_sha)"
  rm -f "$up"
  [[ $code == 200 ]] || fail "the upload got HTTP $code: $answer"
  [[ $answer == "$up_sha $HTTP_BIG_SIZE" ]] || fail "256 MiB up: the server hashed '$answer', want '$up_sha $HTTP_BIG_SIZE'"
  http_expect "for the 256 MiB GET" "$skip" GET "$HTTP_BIG_NAME" "^$(rx "$HTTP_BIG_PATH")\$" 200 rule=http-sites \
    "$(http_body_down "$HTTP_BIG_SIZE")"
  http_expect "for the 256 MiB POST" "$skip" POST "$HTTP_BIG_NAME" '^/sha256$' 200 rule=http-sites \
    "$(http_body_up "$HTTP_BIG_SIZE")"
  http_squid_expect "$sq" GET "http://$(rx "$HTTP_BIG_NAME$HTTP_BIG_PATH")"
  http_squid_expect "$sq" POST "http://$(rx "$HTTP_BIG_NAME")/sha256"
  http_show "$skip"
  http_squid_show "$sq"
  http_via_squid "$skip"
  http_squid_by_name "$sq"
  note "256 MiB $down_note, up ${secs} s ($(mib_s "$size" "$secs") MiB/s); sha256 equal both ways; Sluice and Squid logged GET and POST by name"
}

# ---- H3: git clone over smart HTTP ----
case_http_git() {
  local w=$T/work/http-clone skip sq head blob
  http_case
  rm -rf "$w"
  skip=$(alog_lines)
  sq=$(http_squid_lines)
  say_http "dev\$ git clone $HTTP_REPO_URL"
  dev env GIT_CONFIG_NOSYSTEM=1 timeout 60 git clone "$HTTP_REPO_URL" "$w" >"$CASE_DIR/clone.out" 2>&1 ||
    { say_out "$CASE_DIR/clone.out"; fail "git clone failed: $(tail -n 1 "$CASE_DIR/clone.out")"; }
  say_out "$CASE_DIR/clone.out"
  head=$(git -C "$w" rev-parse HEAD)
  blob=$(sha "$w/payload.bin")
  say_http "dev\$ git -C repo rev-parse HEAD; sha256sum repo/payload.bin"
  say_http "  $head   (the bare repository's: $HTTP_REPO_HEAD)"
  say_http "  $blob   (committed: $HTTP_REPO_BLOB_SHA)"
  [[ $head == "$HTTP_REPO_HEAD" ]] || fail "the clone's HEAD is $head, the repository's $HTTP_REPO_HEAD"
  [[ $blob == "$HTTP_REPO_BLOB_SHA" ]] || fail "payload.bin in the clone: sha256 $blob, committed $HTTP_REPO_BLOB_SHA"
  http_expect "for GET info/refs" "$skip" GET "$HTTP_GIT_NAME" '^/repo\.git/info/refs' 200 rule=http-sites
  http_expect "for POST git-upload-pack" "$skip" POST "$HTTP_GIT_NAME" '^/repo\.git/git-upload-pack$' 200 rule=http-sites
  http_squid_expect "$sq" GET "http://$(rx "$HTTP_GIT_NAME")/repo\.git/info/refs\??"
  http_squid_expect "$sq" POST "http://$(rx "$HTTP_GIT_NAME")/repo\.git/git-upload-pack"
  http_show "$skip"
  http_squid_show "$sq"
  http_via_squid "$skip"
  http_squid_by_name "$sq"
  rm -rf "$w"
  note "clone HEAD = repository's ${head:0:12}, payload sha256 right; Sluice: GET info/refs, POST git-upload-pack; Squid: both by name"
}

# ---- H4: a Host no rule allows ----
# http_refused URL WANT_HOST: curl -i URL from dev gets 403, text/plain, a body, in under 1 s; logged rejected;
# Squid sees nothing of it. Prints the milliseconds.
http_refused() {
  local url=$1 host=$2 skip sq t0 ms rc=0 status ctype body
  skip=$(alog_lines)
  sq=$(http_squid_lines)
  say_http "dev\$ curl -i $url"
  t0=$(now_ms)
  dev curl -sS -i --max-time 5 "$url" >"$CASE_DIR/refused.out" 2>"$CASE_DIR/refused.err" || rc=$?
  ms=$(($(now_ms) - t0))
  say_out "$CASE_DIR/refused.out"
  ((rc == 0)) || fail "curl -i $url: exit $rc ($(cat "$CASE_DIR/refused.err")), want an HTTP answer"
  status=$(head -n 1 "$CASE_DIR/refused.out" | tr -d '\r')
  ctype=$(tr -d '\r' <"$CASE_DIR/refused.out" | awk 'NR > 1 && /^$/ { exit } tolower($1) == "content-type:" { print tolower($2) }')
  body=$(tr -d '\r' <"$CASE_DIR/refused.out" | awk 'b { print } /^$/ { b = 1 }')
  [[ $status == "HTTP/1.1 403"* ]] || fail "$url: '$status', want HTTP/1.1 403"
  [[ $ctype == text/plain* ]] || fail "$url: Content-Type '$ctype', want text/plain"
  [[ -n ${body//[[:space:]]/} ]] || fail "$url: the 403 has no body (it must name the reason)"
  ((ms < 1000)) || fail "$url: the 403 took ${ms} ms, want < 1000 ms"
  http_expect "rejecting $host" "$skip" GET "$host" '^/' 403 outcome=rejected
  http_show "$skip"
  # Sluice logged it, so it is done with it: anything Squid were to get for it, it would have by now.
  if http_squid_requests "$sq" | awk '{ print $4 }' | grep -F "$host" >&2; then
    fail "Squid was asked for $host (above) although Sluice refused it"
  fi
  say_http "  ($ms ms; Squid's access.log: nothing for $host)"
  printf '%s\n' "$ms"
}
case_http_reject() {
  local ms ms_ip
  http_case
  ms=$(http_refused "http://blocked.example.test/" blocked.example.test)
  # A Host that is an address (no name to route by; no rule names it): refused the same way.
  ms_ip=$(http_refused "http://$INET_IP/mid.bin" "$INET_IP")
  note "blocked.example.test: 403 text/plain in ${ms} ms, logged rejected; Host $INET_IP: 403 in ${ms_ip} ms; Squid saw neither"
}
