# shellcheck shell=bash
# The auth lab: real servers for proxy authentication (Basic, Negotiate/Kerberos, NTLMv2) in the e2e topology.
# Sourced by e2e/run, which defines T, CA, the namespaces and helpers (setup_failed, ...; in_ns, wait_service and the
# other lab helpers come from lib/netns.sh). The plain-HTTP checks ask for the HTTP lab's repository on port 80
# (HTTP_DEB_URL, HTTP_DEB_NAME from lib/http-lab.sh, which e2e/run prepares and starts before this lab's checks).
# See e2e/README.md, "The auth lab".
#
# On the proxy host (sluice-e2e-proxy):
#   an MIT KDC for CORP.TEST on 198.51.100.5:88 (udp+tcp), name kdc.corp.test
#   winbindd (standalone Samba, tdbsam passdb in $T) that ntlm_auth asks; account CORP\sluice-ntlm
#   five Squids on 198.51.100.2 (name proxy.corp.test), each allowing only the gateway (198.51.100.1), only
#   authenticated, to the test names only, never to a bare IP: CONNECT to port 443, and GET/HEAD/POST/OPTIONS in
#   absolute form (http://NAME/...) to port 80; besides access.log, conn.log has each request's client port
#   (which connection from the gateway carried it):
#     :3130 negotiate   Negotiate (Kerberos), keep_alive on; sluice-refused@CORP.TEST gets 403
#     :3131 ntlm        NTLM via ntlm_auth + winbindd, keep_alive on; Samba refuses NTLMv1 (ntlmv2-only)
#     :3132 both        Negotiate, then NTLM (both offered in that order); sluice-refused gets 403
#     :3133 ntlm-close  NTLM with keep_alive off: the first 407 (no credentials yet) closes the connection
#     :3134 basic       Basic (basic_ncsa_auth), user sluice-basic
# On the gateway (sluice-e2e-gw): lib/ntlm-relay.py on 127.0.0.1:13131 (as is) and :13132 (clears the NTLM
# challenge's target-info flag so that curl answers NTLMv1), both in front of the ntlm Squid.
#
# Exported for the cases (all paths under $T, made by auth_lab_prepare):
#   AUTH_REALM=CORP.TEST  AUTH_PROXY_NAME=proxy.corp.test  AUTH_PROXY_IP  AUTH_KDC_NAME=kdc.corp.test  AUTH_KDC_IP
#   AUTH_NEGOTIATE_PORT AUTH_NTLM_PORT AUTH_BOTH_PORT AUTH_NTLM_CLOSE_PORT AUTH_BASIC_PORT (3130..3134)
#   AUTH_NEGOTIATE_PROXY AUTH_NTLM_PROXY AUTH_BOTH_PROXY AUTH_NTLM_CLOSE_PROXY AUTH_BASIC_PROXY
#                               http://proxy.corp.test:PORT (gw resolves the name through its hosts file)
#   AUTH_KRB5_CONF              the gateway's krb5.conf (Sluice's krb5_conf:), kdc = kdc.corp.test:88
#   AUTH_GW_PRINCIPAL           sluice-gw@CORP.TEST;  AUTH_GW_KEYTAB (0600, current kvno 2)
#   AUTH_GW_OLD_KEYTAB          sluice-gw's key of kvno 1 (exported before cpw -randkey): a wrong key
#   AUTH_REFUSED_PRINCIPAL      sluice-refused@CORP.TEST (valid; the Negotiate proxies answer it 403); AUTH_REFUSED_KEYTAB
#   AUTH_SHORT_PRINCIPAL        sluice-short@CORP.TEST (maxlife 3 min, not renewable); AUTH_SHORT_KEYTAB
#   AUTH_HTTP_PRINCIPAL         HTTP/proxy.corp.test@CORP.TEST (Squid's; keytab $T/kerberos/http-proxy.keytab)
#   AUTH_NTLM_DOMAIN=CORP AUTH_NTLM_USER=sluice-ntlm AUTH_NTLM_PASSWORD_FILE (0600, hex, no newline inside)
#   AUTH_BASIC_USER=sluice-basic AUTH_BASIC_PASSWORD_FILE (0600)
#   AUTH_RELAY_PLAIN_PORT AUTH_RELAY_V1_PORT  the NTLM relay's ports on gw's 127.0.0.1
#   AUTH_CHECKS                 the lines of auth_lab_check ("auth-lab: negotiate sluice-gw 200 ok", ...)
# Functions: auth_lab_prepare, auth_lab_start, auth_lab_wait, auth_lab_check (and the groups auth_check_kdc,
# auth_check_negotiate, auth_check_ntlm, auth_check_both, auth_check_ntlm_close, auth_check_basic),
# kdc_stop / kdc_start (from any shell: the KDC's pid is in $T/kerberos/kdc.pid), auth_kinit, auth_curl,
# auth_lab_remove_host_state (the unix account and winbindd's socket; run at start and at exit).

export AUTH_REALM=CORP.TEST
export AUTH_PROXY_NAME=proxy.corp.test
export AUTH_PROXY_IP=$SQUID_IP
export AUTH_KDC_NAME=kdc.corp.test
export AUTH_KDC_IP=198.51.100.5 # an extra address on the proxy host's eth0
export AUTH_NEGOTIATE_PORT=3130 AUTH_NTLM_PORT=3131 AUTH_BOTH_PORT=3132 AUTH_NTLM_CLOSE_PORT=3133 AUTH_BASIC_PORT=3134
export AUTH_NEGOTIATE_PROXY=http://$AUTH_PROXY_NAME:$AUTH_NEGOTIATE_PORT
export AUTH_NTLM_PROXY=http://$AUTH_PROXY_NAME:$AUTH_NTLM_PORT
export AUTH_BOTH_PROXY=http://$AUTH_PROXY_NAME:$AUTH_BOTH_PORT
export AUTH_NTLM_CLOSE_PROXY=http://$AUTH_PROXY_NAME:$AUTH_NTLM_CLOSE_PORT
export AUTH_BASIC_PROXY=http://$AUTH_PROXY_NAME:$AUTH_BASIC_PORT
export AUTH_GW_PRINCIPAL=sluice-gw@$AUTH_REALM
export AUTH_REFUSED_PRINCIPAL=sluice-refused@$AUTH_REALM
export AUTH_SHORT_PRINCIPAL=sluice-short@$AUTH_REALM
export AUTH_HTTP_PRINCIPAL=HTTP/$AUTH_PROXY_NAME@$AUTH_REALM
export AUTH_NTLM_DOMAIN=CORP AUTH_NTLM_USER=sluice-ntlm
export AUTH_BASIC_USER=sluice-basic
export AUTH_RELAY_PLAIN_PORT=13131 AUTH_RELAY_V1_PORT=13132
AUTH_SHORT_LIFE=180 # seconds: sluice-short's maxlife
# The NTLM account must be a unix account of the host (see README); this marker in its GECOS field is how
# cleanup knows the account is the lab's own and may be deleted, also after a crashed run.
AUTH_UNIX_MARK="sluice-e2e auth lab, removed by e2e/run"
WINBINDD_SOCKET_DIR=/run/samba/winbindd # the only place Debian's libwbclient looks (compiled in)
AUTH_SQUIDS=(negotiate ntlm both ntlm-close basic)
declare -A AUTH_SQUID_PORT=([negotiate]=$AUTH_NEGOTIATE_PORT [ntlm]=$AUTH_NTLM_PORT [both]=$AUTH_BOTH_PORT
  [ntlm-close]=$AUTH_NTLM_CLOSE_PORT [basic]=$AUTH_BASIC_PORT)
declare -A AUTH_SQUID_PID=()

auth_set_paths() {
  export AUTH_KRB5_CONF=$T/kerberos/krb5.conf
  export AUTH_GW_KEYTAB=$T/kerberos/sluice-gw.keytab
  export AUTH_GW_OLD_KEYTAB=$T/kerberos/sluice-gw-old-kvno.keytab
  export AUTH_REFUSED_KEYTAB=$T/kerberos/sluice-refused.keytab
  export AUTH_SHORT_KEYTAB=$T/kerberos/sluice-short.keytab
  export AUTH_NTLM_PASSWORD_FILE=$T/ntlm/password
  export AUTH_BASIC_PASSWORD_FILE=$T/basic/password
  export AUTH_CHECKS=$T/auth-lab/checks.txt
  KDC_CONF=$T/kerberos/kdc.conf
  HTTP_KEYTAB=$T/kerberos/http-proxy.keytab
  SMB_CONF=$T/ntlm/smb.conf
}

# ---- host state: the unix account and winbindd's socket directory (run at start, after a crash, at exit) ----
auth_lab_remove_host_state() {
  local gecos
  gecos=$(getent passwd "$AUTH_NTLM_USER" | cut -d: -f5) || true
  if [[ $gecos == "$AUTH_UNIX_MARK" ]]; then
    userdel "$AUTH_NTLM_USER" 2>/dev/null || log "e2e: could not delete the unix account $AUTH_NTLM_USER"
  fi
  # winbindd removes its socket when it exits; after a SIGKILL it stays (nobody listens on it any more).
  if [[ -S $WINBINDD_SOCKET_DIR/pipe ]] && ! wbinfo -p >/dev/null 2>&1; then rm -f "$WINBINDD_SOCKET_DIR/pipe"; fi
  rmdir "$WINBINDD_SOCKET_DIR" 2>/dev/null || true
}

# ---- files: KDC database, principals, keytabs; Samba passdb and account; Basic password file ----
write_krb5_conf() {
  cat >"$AUTH_KRB5_CONF" <<EOF
# The auth lab's krb5.conf: the gateway's (Sluice's krb5_conf:, curl, kinit), the KDC's and Squid's helpers'.
[libdefaults]
    default_realm = $AUTH_REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
[realms]
    $AUTH_REALM = {
        kdc = $AUTH_KDC_NAME:88
    }
[domain_realm]
    .corp.test = $AUTH_REALM
    corp.test = $AUTH_REALM
EOF
  chmod 644 "$AUTH_KRB5_CONF"
}

write_kdc_conf() {
  cat >"$KDC_CONF" <<EOF
[kdcdefaults]
    kdc_listen = $AUTH_KDC_IP:88
    kdc_tcp_listen = $AUTH_KDC_IP:88
[realms]
    $AUTH_REALM = {
        database_name = $T/kerberos/kdc/principal
        key_stash_file = $T/kerberos/kdc/stash
        acl_file = $T/kerberos/kdc/kadm5.acl
        max_life = 10h
        max_renewable_life = 0
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:$T/kerberos/kdc.log
    admin_server = FILE:$T/kerberos/kadmin.log
    default = FILE:$T/kerberos/krb5lib.log
EOF
}

kdc_env() { env KRB5_CONFIG="$AUTH_KRB5_CONF" KRB5_KDC_PROFILE="$KDC_CONF" "$@"; }

make_kdc_database() {
  local k=$T/kerberos
  mkdir -p "$k/kdc" "$k/ccache" "$k/rcache"
  chmod 755 "$k"
  chmod 700 "$k/kdc" "$k/ccache"
  : >"$k/kdc/kadm5.acl"
  write_krb5_conf
  write_kdc_conf
  kdc_env kdb5_util create -s -r "$AUTH_REALM" -P "$(openssl rand -hex 24)" >"$k/kdb5_util.log" 2>&1 ||
    { cat "$k/kdb5_util.log" >&2; setup_failed "kdb5_util create failed for $AUTH_REALM"; }
  # Users require pre-authentication (as in Active Directory), so a wrong key fails with "Preauthentication
  # failed" at the KDC. ktadd -norandkey exports the current key; a plain ktadd would change it.
  kdc_env kadmin.local -r "$AUTH_REALM" >"$k/kadmin.out" 2>&1 <<EOF || { cat "$k/kadmin.out" >&2; setup_failed "kadmin.local failed"; }
addprinc -randkey $AUTH_HTTP_PRINCIPAL
ktadd -norandkey -k $HTTP_KEYTAB $AUTH_HTTP_PRINCIPAL
addprinc -randkey +requires_preauth $AUTH_GW_PRINCIPAL
ktadd -norandkey -k $AUTH_GW_OLD_KEYTAB $AUTH_GW_PRINCIPAL
cpw -randkey $AUTH_GW_PRINCIPAL
ktadd -norandkey -k $AUTH_GW_KEYTAB $AUTH_GW_PRINCIPAL
addprinc -randkey +requires_preauth $AUTH_REFUSED_PRINCIPAL
ktadd -norandkey -k $AUTH_REFUSED_KEYTAB $AUTH_REFUSED_PRINCIPAL
addprinc -randkey +requires_preauth -maxlife "$AUTH_SHORT_LIFE seconds" -maxrenewlife 0 $AUTH_SHORT_PRINCIPAL
ktadd -norandkey -k $AUTH_SHORT_KEYTAB $AUTH_SHORT_PRINCIPAL
getprinc $AUTH_GW_PRINCIPAL
getprinc $AUTH_SHORT_PRINCIPAL
EOF
  grep -q "^Key: vno 2, aes256-cts-hmac-sha1-96" "$k/kadmin.out" ||
    { cat "$k/kadmin.out" >&2; setup_failed "kadmin.local: $AUTH_GW_PRINCIPAL has no key of kvno 2"; }
  grep -q "^Maximum ticket life: 0 days 00:03:00" "$k/kadmin.out" ||
    { cat "$k/kadmin.out" >&2; setup_failed "kadmin.local: $AUTH_SHORT_PRINCIPAL's maxlife is not 3 minutes"; }
  chmod 600 "$AUTH_GW_KEYTAB" "$AUTH_GW_OLD_KEYTAB" "$AUTH_REFUSED_KEYTAB" "$AUTH_SHORT_KEYTAB"
  # Squid's helpers run as cache_effective_user (proxy): its keytab and replay cache are the proxy user's.
  chown proxy "$HTTP_KEYTAB" "$k/rcache"
  chmod 400 "$HTTP_KEYTAB"
  chmod 700 "$k/rcache"
}

write_smb_conf() {
  local n=$T/ntlm
  cat >"$SMB_CONF" <<EOF
# A standalone Samba whose only job is the NTLM check behind ntlm_auth (winbindd; no smbd, no nmbd).
# netbios name = workgroup: the local SAM is then the domain "CORP" that clients name (CORP\\user); with
# another netbios name, winbindd takes CORP for a remote domain and answers NT_STATUS_NO_LOGON_SERVERS.
[global]
    workgroup = $AUTH_NTLM_DOMAIN
    netbios name = $AUTH_NTLM_DOMAIN
    server role = standalone server
    security = user
    passdb backend = tdbsam:$n/private/passdb.tdb
    ntlm auth = ntlmv2-only
    state directory = $n/state
    cache directory = $n/cache
    lock directory = $n/lock
    private dir = $n/private
    pid directory = $n/pid
    ncalrpc dir = $n/ncalrpc
    binddns dir = $n/bind-dns
    ntp signd socket directory = $n/ntp_signd
    usershare path =
    winbindd socket directory = $WINBINDD_SOCKET_DIR
    log file = $n/log/%m.log
    logging = file
    max log size = 0
    # auth_audit:2 logs each check with the NTLM version used ("with [NTLMv2] status [NT_STATUS_OK]").
    log level = 1 auth_audit:2
    disable netbios = yes
    interfaces = lo
    bind interfaces only = yes
    load printers = no
    printcap name = /dev/null
    idmap config * : backend = tdb
    idmap config * : range = 3000000-3099999
    # Else winbindd starts samba-dcerpcd (and rpcd_lsad) on demand, which log to /var/log/samba whatever
    # "log file" says, and outlive winbindd. The NTLM check does not need them.
    rpc start on demand helpers = no
EOF
}

make_ntlm_account() {
  local n=$T/ntlm pw
  mkdir -p "$n"/{state,cache,lock,private,pid,ncalrpc,log}
  # winbindd's privileged pipe lives in "state directory"/winbindd_privileged; winbindd insists on owner
  # root and mode 0750, not on the group: the group is winbindd_priv, Squid's NTLM instances run with it.
  install -d -m 0750 -o root -g winbindd_priv "$n/state/winbindd_privileged"
  write_smb_conf
  if getent passwd "$AUTH_NTLM_USER" >/dev/null; then
    setup_failed "a unix account '$AUTH_NTLM_USER' exists and is not the lab's (GECOS is not '$AUTH_UNIX_MARK'); the lab will not touch it"
  fi
  useradd --system --no-create-home --no-user-group --gid nogroup --home-dir /nonexistent \
    --shell /usr/sbin/nologin --no-log-init --comment "$AUTH_UNIX_MARK" "$AUTH_NTLM_USER" ||
    setup_failed "useradd $AUTH_NTLM_USER failed"
  pw=$(openssl rand -hex 12)
  (umask 077 && printf '%s' "$pw" >"$AUTH_NTLM_PASSWORD_FILE")
  printf '%s\n%s\n' "$pw" "$pw" | smbpasswd -c "$SMB_CONF" -s -a "$AUTH_NTLM_USER" >"$n/smbpasswd.log" 2>&1 ||
    { cat "$n/smbpasswd.log" >&2; setup_failed "smbpasswd -a $AUTH_NTLM_USER failed"; }
}

make_basic_password() {
  local b=$T/basic pw
  mkdir -p "$b"
  pw=$(openssl rand -hex 12)
  (umask 077 && printf '%s' "$pw" >"$AUTH_BASIC_PASSWORD_FILE")
  printf '%s:%s\n' "$AUTH_BASIC_USER" "$(printf '%s' "$pw" | openssl passwd -6 -stdin)" >"$b/htpasswd"
  chown proxy "$b/htpasswd"
  chmod 400 "$b/htpasswd"
}

# ---- Squid instances ----
# auth_squid_conf NAME AUTH_LINES [GROUP]: the ACLs of start_squid (only the gateway; CONNECT to 443; GET, HEAD,
# POST and OPTIONS in absolute form to port 80; allowed names; no bare IP; anything else 403 without a
# challenge), then: no credentials or wrong ones -> 407 (the denying line ends with the auth ACL),
# sluice-refused -> 403 (the denying line ends with "all", so Squid does not challenge again).
# access.log is Squid's native format (the cases read its user field); conn.log adds the client's port.
auth_squid_conf() {
  local name=$1 auth=$2 group=${3:-} d=$T/auth-lab/squid-$1
  mkdir -p "$d"
  cat >"$d/squid.conf" <<EOF
# auth lab: $name
http_port $AUTH_PROXY_IP:${AUTH_SQUID_PORT[$name]}
visible_hostname $AUTH_PROXY_NAME
cache_effective_user proxy
${group:+cache_effective_group $group}
pid_filename $d/squid.pid
access_log stdio:$d/access.log
logformat conn %ts.%03tu %>a:%>p %Ss/%03>Hs %rm %ru %un %Sh/%<a
access_log stdio:$d/conn.log conn
cache_log $d/cache.log
cache_store_log none
netdb_filename none
coredump_dir $d
cache deny all
cache_mem 8 MB
pinger_enable off
shutdown_lifetime 1 seconds
hosts_file $T/squid/hosts
dns_nameservers 127.0.0.1
$auth
acl gateway src $GW_CORP_IP/32
acl SSL_ports port 443
acl HTTP_port port 80
acl CONNECT method CONNECT
acl plain_methods method GET HEAD POST OPTIONS
acl to_ip dstdom_regex ^[0-9.]+\$
acl allowed dstdomain proxy.golang.org sum.golang.org .example.test
acl authenticated proxy_auth REQUIRED
acl refused_user proxy_auth $AUTH_REFUSED_PRINCIPAL
http_access deny !gateway
http_access deny CONNECT !SSL_ports
http_access deny !CONNECT !plain_methods
http_access deny plain_methods !HTTP_port
http_access deny to_ip
http_access deny !allowed
http_access deny !authenticated
http_access deny refused_user all
http_access allow CONNECT allowed
http_access allow plain_methods HTTP_port allowed
http_access deny all
EOF
  chown -R proxy "$d"
}

# squid -k parse of every configuration, all at once (each takes about 0.25 s).
auth_squid_parse() {
  local name pids=() i d
  for name in "${AUTH_SQUIDS[@]}"; do
    d=$T/auth-lab/squid-$name
    ip netns exec "$NS_PROXY" squid -k parse -f "$d/squid.conf" >"$d/parse.log" 2>&1 {LOCK_FD}<&- &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    name=${AUTH_SQUIDS[$i]}
    wait "${pids[$i]}" || { tail -n 20 "$T/auth-lab/squid-$name/parse.log" >&2
      setup_failed "squid -k parse rejected the auth lab's $name configuration"; }
  done
}

auth_squid_confs() {
  local negotiate ntlm
  # Helpers inherit Squid's environment (KRB5_KTNAME, KRB5_CONFIG, KRB5RCACHEDIR are set when it starts).
  negotiate="auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -s $AUTH_HTTP_PRINCIPAL
auth_param negotiate children 10 startup=1 idle=1
auth_param negotiate keep_alive on"
  ntlm="auth_param ntlm program /usr/bin/ntlm_auth --configfile=$SMB_CONF --helper-protocol=squid-2.5-ntlmssp
auth_param ntlm children 10 startup=1 idle=1"
  auth_squid_conf negotiate "$negotiate"
  auth_squid_conf ntlm "$ntlm
auth_param ntlm keep_alive on" winbindd_priv
  auth_squid_conf both "$negotiate
$ntlm
auth_param ntlm keep_alive on" winbindd_priv
  auth_squid_conf ntlm-close "$ntlm
auth_param ntlm keep_alive off" winbindd_priv
  auth_squid_conf basic "auth_param basic program /usr/lib/squid/basic_ncsa_auth $T/basic/htpasswd
auth_param basic children 5 startup=1 idle=1
auth_param basic realm sluice-e2e"
  auth_squid_parse
}

# auth_lab_names: the KDC's address on the proxy host, and the names the gateway (Sluice, curl, kinit) resolves.
# Before the suite's Sluice starts: its resolver reads gw's hosts file once, when it is made.
auth_lab_names() {
  in_ns "$NS_PROXY" ip addr add "$AUTH_KDC_IP/24" dev eth0
  printf '%s %s\n%s %s\n' "$AUTH_PROXY_IP" "$AUTH_PROXY_NAME" "$AUTH_KDC_IP" "$AUTH_KDC_NAME" |
    tee -a "/etc/netns/$NS_GW/hosts" >>"/etc/netns/$NS_PROXY/hosts"
}

auth_lab_prepare() {
  auth_set_paths
  if wbinfo -p >/dev/null 2>&1; then
    setup_failed "a winbindd already answers on $WINBINDD_SOCKET_DIR/pipe (the host's own? service winbind stop): the lab needs that socket"
  fi
  mkdir -p "$T/auth-lab" "$T/ntlm"
  printf 'auth lab\n' >"$T/www/auth-lab.txt"
  make_kdc_database
  make_ntlm_account
  make_basic_password
  auth_squid_confs
}

# ---- daemons ----
kdc_start() {
  ip netns exec "$NS_PROXY" env KRB5_CONFIG="$AUTH_KRB5_CONF" KRB5_KDC_PROFILE="$KDC_CONF" \
    krb5kdc -n -r "$AUTH_REALM" >>"$T/kerberos/kdc.stdout" 2>&1 {LOCK_FD}<&- &
  KDC_PID=$!
  BG_PIDS+=("$KDC_PID")
  printf '%s\n' "$KDC_PID" >"$T/kerberos/kdc.pid"
  [[ ${1:-} == --no-wait ]] || wait_service krb5kdc "$KDC_PID" 10 listening "$NS_PROXY" 88
}

# kdc_stop: stops the KDC started by kdc_start (from this shell or another); returns when it is gone.
kdc_stop() {
  local pid deadline
  pid=$(cat "$T/kerberos/kdc.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$(($(now_ms) + 5000))
  while alive "$pid" && [[ $(ps -o stat= -p "$pid") != Z* ]] && (($(now_ms) < deadline)); do sleep 0.05; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  wait_for 5 "the KDC's port to close" bash -c "[[ -z \$(ip netns exec $NS_PROXY ss -Hltn 'sport = :88') ]]"
}

start_winbindd() {
  # -l: winbindd opens log.winbindd in its log directory (default /var/log/samba) before it reads smb.conf.
  ip netns exec "$NS_PROXY" winbindd -F --no-process-group -s "$SMB_CONF" -l "$T/ntlm/log" \
    >"$T/ntlm/winbindd.stdout" 2>&1 {LOCK_FD}<&- &
  WINBINDD_PID=$!
  BG_PIDS+=("$WINBINDD_PID")
}

start_auth_squid() {
  local name=$1 d=$T/auth-lab/squid-$1
  ip netns exec "$NS_PROXY" env KRB5_CONFIG="$AUTH_KRB5_CONF" KRB5_KTNAME="FILE:$HTTP_KEYTAB" \
    KRB5RCACHEDIR="$T/kerberos/rcache" squid -N -n "sluice${name//[^a-z0-9]/}" -f "$d/squid.conf" \
    >"$d/stdout" 2>"$d/stderr" {LOCK_FD}<&- &
  AUTH_SQUID_PID[$name]=$!
  BG_PIDS+=("$!")
}

start_ntlm_relay() {
  ip netns exec "$NS_GW" python3 "$E2E/lib/ntlm-relay.py" 127.0.0.1 "$AUTH_RELAY_PLAIN_PORT" "$AUTH_RELAY_V1_PORT" \
    "$AUTH_PROXY_IP" "$AUTH_NTLM_PORT" >"$T/ntlm/relay.log" 2>&1 {LOCK_FD}<&- &
  RELAY_PID=$!
  BG_PIDS+=("$RELAY_PID")
}

auth_lab_start() {
  local name
  kdc_start --no-wait
  start_winbindd
  for name in "${AUTH_SQUIDS[@]}"; do start_auth_squid "$name"; done
  start_ntlm_relay
}

winbindd_ready() { [[ -S $T/ntlm/state/winbindd_privileged/pipe ]] && wbinfo -p >/dev/null 2>&1; }

auth_lab_wait() {
  local name
  wait_service krb5kdc "$KDC_PID" 10 listening "$NS_PROXY" 88 || setup_failed "the KDC did not listen on $AUTH_KDC_IP:88"
  wait_service winbindd "$WINBINDD_PID" 15 winbindd_ready ||
    setup_failed "winbindd did not answer on $WINBINDD_SOCKET_DIR/pipe (see $T/ntlm/log)"
  for name in "${AUTH_SQUIDS[@]}"; do
    wait_service "squid $name" "${AUTH_SQUID_PID[$name]}" 20 listening "$NS_PROXY" "${AUTH_SQUID_PORT[$name]}" ||
      setup_failed "the auth lab's Squid '$name' did not listen on $AUTH_PROXY_IP:${AUTH_SQUID_PORT[$name]}"
  done
  wait_service ntlm-relay "$RELAY_PID" 10 listening "$NS_GW" "$AUTH_RELAY_V1_PORT" ||
    setup_failed "lib/ntlm-relay.py did not listen on 127.0.0.1:$AUTH_RELAY_V1_PORT in gw"
}

# ---- client side (from the gateway's namespace) ----
gw_env() {
  in_ns "$NS_GW" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/work" \
    KRB5_CONFIG="$AUTH_KRB5_CONF" "$@"
}
# auth_kinit KEYTAB PRINCIPAL CCNAME: a TGT from the keytab into FILE:$T/kerberos/ccache/CCNAME (stderr shown).
auth_kinit() {
  rm -f "$T/kerberos/ccache/$3"
  gw_env KRB5CCNAME="FILE:$T/kerberos/ccache/$3" kinit -kt "$1" "$2"
}
# auth_curl CCNAME PROXY_URL [curl options...]: a GET of https://big.example.test/auth-lab.txt from gw through
# the proxy; prints "CONNECT-status HTTP-status connections" (e.g. "407 000 1"). Credentials for -K - on stdin.
# curl's stderr goes to $AUTH_CURL_ERR (default $T/auth-lab/curl.err, appended).
auth_curl() {
  local cc=$1 proxy=$2
  shift 2
  gw_env KRB5CCNAME="FILE:$T/kerberos/ccache/$cc" curl -q -sS --cacert "$CA" --max-time 15 -o /dev/null \
    -w '%{http_connect} %{http_code} %{num_connects}' --proxy "$proxy" "$@" https://big.example.test/auth-lab.txt \
    2>>"${AUTH_CURL_ERR:-$T/auth-lab/curl.err}" || true
}
# auth_curl_http CCNAME PROXY_URL URL [curl options...]: a plain-HTTP request for URL (absolute form) from gw
# through the proxy; prints the HTTP status ("000" when there was none). Errors as for auth_curl.
auth_curl_http() {
  local cc=$1 proxy=$2 url=$3
  shift 3
  gw_env KRB5CCNAME="FILE:$T/kerberos/ccache/$cc" curl -q -sS --max-time 15 -o /dev/null -w '%{http_code}' \
    --proxy "$proxy" "$@" "$url" 2>>"${AUTH_CURL_ERR:-$T/auth-lab/curl.err}" || true
}
# The plain-HTTP object the checks ask for: the HTTP lab's Release file on deb.example.test:80 (lib/http-lab.sh).
auth_http_url() { printf '%s/dists/stable/Release' "$HTTP_DEB_URL"; }
# credentials USER PASSWORD_FILE: a curl config line on stdout (keeps the password off the command line).
credentials() { printf 'proxy-user = %s:%s\n' "$1" "$(cat "$2")"; }
# status "C H N": what the client got: the origin's status when the tunnel was made, else the proxy's.
status_of() { local c h; read -r c h _ <<<"$1"; if [[ $c == 200 ]]; then echo "$h"; else echo "$c"; fi; }

AUTH_FAILED=0
# auth_expect GROUP WHAT WANT GOT [DETAIL]: one line of the check report.
auth_expect() {
  local line="auth-lab: $1 $2 $4"
  if [[ $4 == "$3" ]]; then line+=" ok"; else line+=" FAIL (want $3)"; AUTH_FAILED=$((AUTH_FAILED + 1)); fi
  [[ -z ${5:-} ]] || line+=" ($5)"
  printf '%s\n' "$line" | tee -a "$AUTH_CHECKS" >&2
}

auth_check_kdc() {
  local err start end life
  auth_kinit "$AUTH_GW_KEYTAB" "$AUTH_GW_PRINCIPAL" gw 2>"$T/kerberos/kinit.err" && err=issued || err=$(tail -n 1 "$T/kerberos/kinit.err")
  auth_expect kdc "kinit $AUTH_GW_PRINCIPAL" issued "$err"
  # The key of kvno 1 no longer opens the account: the KDC refuses the pre-authentication.
  if auth_kinit "$AUTH_GW_OLD_KEYTAB" "$AUTH_GW_PRINCIPAL" old 2>"$T/kerberos/kinit-old.err"; then err="issued"
  else err="refused ($(sed -n 's/^kinit: \(.*\) while getting initial credentials$/\1/p' "$T/kerberos/kinit-old.err"))"; fi
  auth_expect kdc "kinit-old-kvno $AUTH_GW_PRINCIPAL" "refused (Preauthentication failed)" "$err"
  auth_kinit "$AUTH_SHORT_KEYTAB" "$AUTH_SHORT_PRINCIPAL" short 2>"$T/kerberos/kinit-short.err" || true
  read -r start end < <(gw_env LC_ALL=C KRB5CCNAME="FILE:$T/kerberos/ccache/short" klist 2>/dev/null |
    awk '/krbtgt\// { print $1 "_" $2, $3 "_" $4; exit }') || true
  life=$(($(date -d "${end/_/ }" +%s 2>/dev/null || echo 0) - $(date -d "${start/_/ }" +%s 2>/dev/null || echo 0)))
  auth_expect kdc "tgt-lifetime $AUTH_SHORT_PRINCIPAL" "${AUTH_SHORT_LIFE}s" "${life}s"
}

auth_check_negotiate_on() {
  local group=$1 proxy=$2 got
  auth_kinit "$AUTH_GW_KEYTAB" "$AUTH_GW_PRINCIPAL" gw 2>/dev/null || true
  got=$(auth_curl gw "$proxy" --proxy-negotiate -U :)
  auth_expect "$group" "negotiate-$AUTH_GW_PRINCIPAL" 200 "$(status_of "$got")"
  got=$(auth_curl none "$proxy" --proxy-negotiate -U :)
  auth_expect "$group" "negotiate-no-ticket" 407 "$(status_of "$got")"
  auth_kinit "$AUTH_REFUSED_KEYTAB" "$AUTH_REFUSED_PRINCIPAL" refused 2>/dev/null || true
  got=$(auth_curl refused "$proxy" --proxy-negotiate -U :)
  auth_expect "$group" "negotiate-$AUTH_REFUSED_PRINCIPAL" 403 "$(status_of "$got")"
  got=$(auth_curl_http gw "$proxy" "$(auth_http_url)" --proxy-negotiate -U :)
  auth_expect "$group" "http-GET-negotiate-$AUTH_GW_PRINCIPAL" 200 "$got"
}
auth_check_negotiate() { auth_check_negotiate_on negotiate "$AUTH_NEGOTIATE_PROXY"; }

ntlm_user() { printf '%s\\%s' "$AUTH_NTLM_DOMAIN" "$AUTH_NTLM_USER"; }
auth_check_ntlm() {
  local got audit0 relay0 v
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" | auth_curl none "$AUTH_NTLM_PROXY" --proxy-ntlm -K -)
  auth_expect ntlm "ntlm-$(ntlm_user)" 200 "$(status_of "$got")"
  got=$(printf 'proxy-user = %s:wrong-password\n' "$(ntlm_user)" | auth_curl none "$AUTH_NTLM_PROXY" --proxy-ntlm -K -)
  auth_expect ntlm "ntlm-wrong-password" 407 "$(status_of "$got")"
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" |
    auth_curl_http none "$AUTH_NTLM_PROXY" "$(auth_http_url)" --proxy-ntlm -K -)
  auth_expect ntlm "http-GET-ntlm-$(ntlm_user)" 200 "$got"
  # curl answers NTLMv2 whenever the challenge carries target information (always, from Samba); the relay
  # on gw passes the challenge as is on one port and strips that flag on the other, so curl answers NTLMv1.
  relay0=$(count_in "$T/ntlm/relay.log" "^type3 ")
  audit0=$(count_in "$T/ntlm/log/log.wb-$AUTH_NTLM_DOMAIN" "with \[NTLMv1\] status \[NT_STATUS_WRONG_PASSWORD\]")
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" |
    auth_curl none "http://127.0.0.1:$AUTH_RELAY_PLAIN_PORT" --proxy-ntlm -K -)
  v=$(tail -n +$((relay0 + 1)) "$T/ntlm/relay.log" | sed -n 's/^type3 .* version=\(NTLMv[12]\)$/\1/p' | tail -n 1)
  auth_expect ntlm "ntlmv2-as-curl-sends-it" 200 "$(status_of "$got")" "curl sent ${v:-no type 3}"
  relay0=$(count_in "$T/ntlm/relay.log" "^type3 ")
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" |
    auth_curl none "http://127.0.0.1:$AUTH_RELAY_V1_PORT" --proxy-ntlm -K -)
  v=$(tail -n +$((relay0 + 1)) "$T/ntlm/relay.log" | sed -n 's/^type3 .* version=\(NTLMv[12]\)$/\1/p' | tail -n 1)
  wait_for 3 "Samba's audit line for the NTLMv1 attempt" more_than "$audit0" "$T/ntlm/log/log.wb-$AUTH_NTLM_DOMAIN" \
    "with \[NTLMv1\] status \[NT_STATUS_WRONG_PASSWORD\]" 2>/dev/null || v+=", no Samba audit line for it"
  auth_expect ntlm "ntlmv1-right-password" 407 "$(status_of "$got")" "curl sent ${v:-no type 3}, Samba: [NTLMv1] refused"
}

auth_check_both() {
  local offers got
  # Without credentials, the 407 offers both schemes, Negotiate first.
  offers=$(gw_env curl -q -sS -v --max-time 10 -o /dev/null --proxy "$AUTH_BOTH_PROXY" --cacert "$CA" \
    https://big.example.test/auth-lab.txt 2>&1 | sed -n 's/^< Proxy-Authenticate: \([A-Za-z]*\).*/\1/p' | paste -sd, -) || true
  auth_expect both "offers" "Negotiate,NTLM" "$offers"
  auth_check_negotiate_on both "$AUTH_BOTH_PROXY"
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" | auth_curl none "$AUTH_BOTH_PROXY" --proxy-ntlm -K -)
  auth_expect both "ntlm-$(ntlm_user)" 200 "$(status_of "$got")"
}

auth_check_ntlm_close() {
  local got err=$T/auth-lab/ntlm-close.err
  : >"$err"
  # curl sends its NTLM negotiate message in the first request: no 407 without credentials, one connection.
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" | auth_curl none "$AUTH_NTLM_CLOSE_PROXY" --proxy-ntlm -K -)
  auth_expect ntlm-close "ntlm-$(ntlm_user)" "200 connections=1" "$(status_of "$got") connections=${got##* }"
  # --proxy-anyauth asks without credentials first: that 407 says "Connection: close", curl connects again.
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" |
    AUTH_CURL_ERR=$err auth_curl none "$AUTH_NTLM_CLOSE_PROXY" --proxy-anyauth -K - -v)
  auth_expect ntlm-close "anyauth-$(ntlm_user)" "200 connections=2" "$(status_of "$got") connections=${got##* }" \
    "first 407: $(grep -m 1 -i '^< Connection:' "$err" | tr -d '\r' | cut -c3-)"
  # The same probe on the keep-alive NTLM proxy stays on one connection.
  got=$(credentials "$(ntlm_user)" "$AUTH_NTLM_PASSWORD_FILE" | auth_curl none "$AUTH_NTLM_PROXY" --proxy-anyauth -K -)
  auth_expect ntlm "anyauth-$(ntlm_user)" "200 connections=1" "$(status_of "$got") connections=${got##* }"
}

auth_check_basic() {
  local got
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" | auth_curl none "$AUTH_BASIC_PROXY" -K -)
  auth_expect basic "basic-$AUTH_BASIC_USER" 200 "$(status_of "$got")"
  got=$(printf 'proxy-user = %s:wrong-password\n' "$AUTH_BASIC_USER" | auth_curl none "$AUTH_BASIC_PROXY" -K -)
  auth_expect basic "basic-wrong-password" 407 "$(status_of "$got")"
  # Plain HTTP (absolute form): allowed to port 80 of the names, authenticated; refused (403, no challenge) to an
  # address, to another port, for another method, and CONNECT to port 80.
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" | auth_curl_http none "$AUTH_BASIC_PROXY" "$(auth_http_url)" -K -)
  auth_expect basic "http-GET-basic-$AUTH_BASIC_USER" 200 "$got"
  got=$(auth_curl_http none "$AUTH_BASIC_PROXY" "$(auth_http_url)")
  auth_expect basic "http-GET-no-credentials" 407 "$got"
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" |
    auth_curl_http none "$AUTH_BASIC_PROXY" "http://$INET_IP/auth-lab.txt" -K -)
  auth_expect basic "http-GET-an-address" 403 "$got"
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" |
    auth_curl_http none "$AUTH_BASIC_PROXY" "http://$HTTP_DEB_NAME:8080/" -K -)
  auth_expect basic "http-GET-port-8080" 403 "$got"
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" |
    auth_curl_http none "$AUTH_BASIC_PROXY" "$(auth_http_url)" -K - -X PUT -d x)
  auth_expect basic "http-PUT" 403 "$got"
  got=$(credentials "$AUTH_BASIC_USER" "$AUTH_BASIC_PASSWORD_FILE" |
    gw_env curl -q -s --max-time 15 -o /dev/null -w '%{http_connect}' -p --proxy "$AUTH_BASIC_PROXY" -K - \
    "http://$HTTP_DEB_NAME/" 2>/dev/null) || true
  auth_expect basic "CONNECT-port-80" 403 "$got"
}

# auth_lab_check: every server proven with curl from the gateway; fails setup, naming what failed.
auth_lab_check() {
  local g
  : >"$AUTH_CHECKS"
  AUTH_FAILED=0
  for g in kdc negotiate ntlm both ntlm_close basic; do "auth_check_$g"; done
  ((AUTH_FAILED == 0)) ||
    setup_failed "auth lab: $AUTH_FAILED check(s) failed: $(grep -m 1 FAIL "$AUTH_CHECKS" | cut -d' ' -f2-) (all in $AUTH_CHECKS)"
}

# For e2e/run's evidence: "description:file" of the lab's logs.
auth_lab_evidence() {
  local name
  printf '%s\n' "auth lab checks:$T/auth-lab/checks.txt" "KDC log:$T/kerberos/kdc.log" \
    "winbindd log:$T/ntlm/log/log.wb-$AUTH_NTLM_DOMAIN" "NTLM relay log:$T/ntlm/relay.log"
  for name in "${AUTH_SQUIDS[@]}"; do
    printf '%s\n' "squid $name access.log:$T/auth-lab/squid-$name/access.log" \
      "squid $name cache.log:$T/auth-lab/squid-$name/cache.log"
  done
}

# ---- the lab's own cases in the table (curl and kinit only; nothing here needs Sluice) ----
# auth_lab_case GROUP: runs auth_check_GROUP again (the servers still work after the suite's other cases).
auth_lab_case() {
  AUTH_CHECKS=$CASE_DIR/checks.txt
  AUTH_FAILED=0
  : >"$AUTH_CHECKS"
  "auth_check_$1" 2>/dev/null
  ((AUTH_FAILED == 0)) || fail "$(grep -m 1 FAIL "$AUTH_CHECKS" | cut -d' ' -f3-)"
  note "$(sed -e 's/^auth-lab: [^ ]* //' -e 's/ ok$//' -e 's/ ok (/ (/' "$AUTH_CHECKS" | paste -sd ';' | sed 's/;/; /g')"
}
case_auth_kdc() { auth_lab_case kdc; }
case_auth_negotiate() { auth_lab_case negotiate; }
case_auth_ntlm() { auth_lab_case ntlm; }
case_auth_both() { auth_lab_case both; }
case_auth_ntlm_close() { auth_lab_case ntlm_close; }
case_auth_basic() { auth_lab_case basic; }
# The KDC stopped and started again, as the Sluice cases will do: kinit fails while it is down, works after.
case_auth_kdc_restart() {
  local t0 ms
  kdc_stop || fail "kdc_stop: the KDC did not go away"
  if auth_kinit "$AUTH_GW_KEYTAB" "$AUTH_GW_PRINCIPAL" down 2>"$CASE_DIR/kinit-down.err"; then
    fail "kinit got a ticket with the KDC stopped"
  fi
  grep -q "Cannot contact any KDC for realm '$AUTH_REALM'" "$CASE_DIR/kinit-down.err" ||
    fail "kinit with the KDC stopped: $(cat "$CASE_DIR/kinit-down.err")"
  t0=$(now_ms)
  kdc_start || fail "kdc_start: the KDC did not listen again"
  ms=$(($(now_ms) - t0))
  auth_kinit "$AUTH_GW_KEYTAB" "$AUTH_GW_PRINCIPAL" gw 2>"$CASE_DIR/kinit-up.err" ||
    fail "kinit after kdc_start: $(cat "$CASE_DIR/kinit-up.err")"
  note "stopped: kinit 'Cannot contact any KDC for realm $AUTH_REALM'; started again in ${ms} ms: kinit ok"
}
