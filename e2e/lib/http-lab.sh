# shellcheck shell=bash
# The HTTP lab: what plain HTTP on port 80 (issue #19) is tried against. No namespace of its own: it adds servers
# to the suite's internet host, plain-HTTP rules to the suite's Squid, and the `http` listener to the suite's
# Sluice (the last two are written in e2e/run, beside what they extend). Sourced by e2e/run, which defines T, CA,
# the namespaces, INET_IP, SQUID_IP, SQUID_PORT, NAMES (where the lab's names are, so that dev's hosts file and
# Squid's know them) and the helpers (setup_failed, ...; in_ns, wait_service come from lib/netns.sh).
# See e2e/README.md, "The HTTP lab". Its cases are in lib/http-cases.sh.
#
#  dev                        gw                                   proxy                        inet
#  apt-get, curl, git    ──▶  nat PREROUTING -i lan0          ──▶  Squid :3128 also allows  ──▶ nginx 203.0.113.10:80:
#  no proxy settings;         tcp/443 → :8443, tcp/80 → :8480      GET/HEAD/POST http://NAME/   deb.example.test  signed apt repository
#  apt confined to            (sluice-iptables --ports             (absolute form) for the      big.example.test  256 MiB file; POST
#  $T/http-lab/apt-dev        443,80=8480)                         allowed names, port 80         /sha256 → lib/sha256-sink.py
#                             Sluice listener http :8480           only; CONNECT still 443      git.example.test  git http-backend
#                             (peek: http), rule http-sites        only, never an IP address      (fcgiwrap, unix socket)
#
# Exported for the cases (paths under $T/http-lab, made by http_lab_prepare):
#   H                                     the lab's directory
#   HTTP_DEB_NAME HTTP_BIG_NAME HTTP_GIT_NAME   the three server names (all in NAMES)
#   HTTP_DEB_URL                          the repository as the sources list names it
#   HTTP_DEB_PKG HTTP_DEB_FILE HTTP_DEB_SHA     the package, its pool path (under the repository), its sha256
#   HTTP_DEB_KEY                          the archive's public key (the sources list's signed-by)
#   HTTP_BIG_PATH HTTP_BIG_SIZE HTTP_BIG_SHA    the 256 MiB object on big.example.test
#   HTTP_REPO HTTP_REPO_URL HTTP_REPO_HEAD      the bare repository on inet, the developer's URL, its HEAD commit
#   HTTP_REPO_BLOB_SHA                    sha256 of the repository's payload.bin
#   HTTP_SINK_PORT                        the hashing endpoint's port on inet's loopback
#   HTTP_CHECKS                           the setup's check lines
# Functions: http_lab_prepare (before nginx starts: it includes the lab's server blocks), http_lab_start,
# http_lab_wait, http_lab_check, http_lab_evidence; http_apt_env DIR (the environment that confines apt to DIR).

HTTP_DEB_NAME=deb.example.test
HTTP_BIG_NAME=big.example.test
HTTP_GIT_NAME=git.example.test
HTTP_DEB_PKG=sluice-e2e-hello
HTTP_DEB_VERSION=1.0
HTTP_BIG_PATH=/big256.bin
HTTP_BIG_SIZE=$((256 * 1024 * 1024))
HTTP_SINK_PORT=8099
HTTP_REPO_URL=http://$HTTP_GIT_NAME/repo.git

http_set_paths() {
  H=$T/http-lab
  HTTP_DEB_URL=http://$HTTP_DEB_NAME/debian
  HTTP_DEB_FILE=pool/main/s/$HTTP_DEB_PKG/${HTTP_DEB_PKG}_${HTTP_DEB_VERSION}_all.deb
  HTTP_DEB_KEY=$H/archive-key.gpg
  HTTP_REPO=$H/git/repo.git
  HTTP_NGINX_CONF=$H/nginx-servers.conf
  HTTP_FCGI_SOCK=$H/fcgi/git.sock
  HTTP_CHECKS=$H/checks.txt
}

# ---- files ----
# The repository: one package (a 2 MiB random payload, so the download is more than a few packets), indexed by
# apt-ftparchive into dists/stable/main/binary-ARCH/Packages(.gz) and a Release, signed with a key made for this
# run in a GNUPGHOME of its own (InRelease and Release.gpg); the public key is the sources list's signed-by.
http_deb_repo() {
  local pkg=$H/deb-build repo=$H/deb/debian arch f rel=APT::FTPArchive::Release
  arch=$(dpkg --print-architecture)
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/$HTTP_DEB_PKG" "$repo/dists/stable/main/binary-$arch" \
    "$repo/$(dirname "$HTTP_DEB_FILE")"
  cat >"$pkg/DEBIAN/control" <<EOF
Package: $HTTP_DEB_PKG
Version: $HTTP_DEB_VERSION
Architecture: all
Maintainer: Sluice e2e <e2e@example.test>
Section: misc
Priority: optional
Description: what the e2e suite downloads through Sluice
 A random payload, fetched with apt-get download over plain HTTP.
EOF
  head -c $((2 * 1024 * 1024)) /dev/urandom >"$pkg/usr/share/$HTTP_DEB_PKG/payload.bin"
  dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$repo/$HTTP_DEB_FILE" >"$H/dpkg-deb.log" 2>&1 ||
    { cat "$H/dpkg-deb.log" >&2; setup_failed "dpkg-deb could not build the HTTP lab's package"; }
  HTTP_DEB_SHA=$(sha "$repo/$HTTP_DEB_FILE")
  f=$repo/dists/stable/main/binary-$arch/Packages
  # The Release is written beside the tree it indexes, then moved in.
  if ! { (cd "$repo" && apt-ftparchive packages pool) >"$f" && gzip -9kn "$f" &&
    (cd "$repo" && apt-ftparchive -o "$rel::Origin=sluice-e2e" -o "$rel::Label=sluice-e2e" -o "$rel::Suite=stable" \
      -o "$rel::Codename=stable" -o "$rel::Architectures=$arch" -o "$rel::Components=main" release dists/stable) \
      >"$H/Release" && mv "$H/Release" "$repo/dists/stable/Release"; } 2>"$H/apt-ftparchive.log"; then
    cat "$H/apt-ftparchive.log" >&2
    setup_failed "apt-ftparchive could not index the HTTP lab's repository"
  fi
  grep -q "^SHA256: $HTTP_DEB_SHA" "$f" || setup_failed "the Packages index does not hold the package's sha256"
  http_sign "$repo/dists/stable"
}

# http_sign DIR: a signing key for this run only, DIR/Release signed inline (InRelease) and detached (Release.gpg),
# the public key exported to HTTP_DEB_KEY. gpg starts an agent for the secret key; it is stopped at once, and
# neither gpg nor the agent gets the run's lock.
http_sign() {
  local g=$H/gnupg rc=0
  mkdir -m 700 "$g"
  {
    GNUPGHOME=$g gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
      --quick-gen-key "Sluice e2e archive <archive@example.test>" ed25519 sign 2d &&
      GNUPGHOME=$g gpg --batch --quiet --export >"$HTTP_DEB_KEY" &&
      GNUPGHOME=$g gpg --batch --quiet --pinentry-mode loopback --passphrase '' --clearsign -o "$1/InRelease" "$1/Release" &&
      GNUPGHOME=$g gpg --batch --quiet --pinentry-mode loopback --passphrase '' -abs -o "$1/Release.gpg" "$1/Release"
  } >"$H/gpg.log" 2>&1 {LOCK_FD}<&- || rc=$?
  GNUPGHOME=$g gpgconf --kill all >>"$H/gpg.log" 2>&1 || true
  ((rc == 0)) || { cat "$H/gpg.log" >&2; setup_failed "gpg could not sign the HTTP lab's repository"; }
}

# The git repository: two commits, the second with a 1 MiB random file (a pack of some size); bare, owned by
# www-data, which runs git http-backend (git refuses a repository another user owns: safe.directory).
http_git_repo() {
  local w=$H/git/work
  git_work "$w"
  printf 'cloned through Sluice over plain HTTP: %s\n' "$HTTP_REPO_URL" >"$w/README"
  git_commit "$w" "A repository the HTTP lab clones"
  head -c $((1024 * 1024)) /dev/urandom >"$w/payload.bin"
  HTTP_REPO_BLOB_SHA=$(sha "$w/payload.bin")
  git_commit "$w" "1 MiB of random bytes"
  git clone -q --bare "$w" "$HTTP_REPO"
  HTTP_REPO_HEAD=$(git -C "$HTTP_REPO" rev-parse HEAD)
  chown -R www-data:www-data "$H/git"
  mkdir -p "$(dirname "$HTTP_FCGI_SOCK")"
  chown www-data:www-data "$(dirname "$HTTP_FCGI_SOCK")"
}

# http_apt_env DIR: prints the environment (NAME=VALUE, one a line) of an apt confined to DIR. Every directory
# and file apt reads or writes is named in DIR/apt.conf (APT_CONFIG): its own etc (sources.list with signed-by,
# empty apt.conf.d, preferences.d, trusted.gpg.d), lists, cache, log, and an empty dpkg status; so nothing under
# /etc/apt or /var/lib/{apt,dpkg} is read or written (the setup's check proves it with strace). Downloads run as
# root (APT::Sandbox::User): the _apt user could not write into $T.
http_apt_conf() {
  local a=$1
  mkdir -p "$a/etc/apt.conf.d" "$a/etc/sources.list.d" "$a/etc/preferences.d" "$a/etc/trusted.gpg.d" \
    "$a/state/lists/partial" "$a/cache/archives/partial" "$a/log" "$a/home"
  : >"$a/state/dpkg-status"
  printf 'deb [signed-by=%s] %s stable main\n' "$HTTP_DEB_KEY" "$HTTP_DEB_URL" >"$a/etc/sources.list"
  cat >"$a/apt.conf" <<EOF
// Written by e2e/lib/http-lab.sh: apt confined to $a.
Dir::Etc "$a/etc";
Dir::Etc::main "apt.conf";
Dir::Etc::parts "apt.conf.d";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d";
Dir::Etc::netrc "auth.conf";
Dir::State "$a/state";
Dir::State::status "$a/state/dpkg-status";
Dir::Cache "$a/cache";
Dir::Log "$a/log";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
}
http_apt_env() { printf '%s\n' "APT_CONFIG=$1/apt.conf" "HOME=$1/home"; }

# nginx's server blocks on port 80, included into the suite's nginx.conf (inside http {}). The suite's own server
# (server_name _, port 443 and 80) stays the default for every other name.
http_nginx_conf() {
  cat >"$HTTP_NGINX_CONF" <<EOF
# Written by e2e/lib/http-lab.sh: the HTTP lab's servers on $INET_IP:80, by server_name.
log_format http_lab '\$host \$remote_addr "\$request" \$status \$body_bytes_sent \$request_length \$request_time';
server {
    listen $INET_IP:80;
    server_name $HTTP_DEB_NAME;
    access_log $H/nginx-access.log http_lab;
    root $H/deb;
}
server {
    listen $INET_IP:80;
    server_name $HTTP_BIG_NAME;
    access_log $H/nginx-access.log http_lab;
    root $H/big;
    # The upload: streamed to the hashing endpoint as it arrives, nothing kept.
    location = /sha256 {
        client_max_body_size 300m;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout 300s;
        proxy_send_timeout 300s;
        proxy_pass http://127.0.0.1:$HTTP_SINK_PORT;
    }
}
server {
    listen $INET_IP:80;
    server_name $HTTP_GIT_NAME;
    access_log $H/nginx-access.log http_lab;
    client_max_body_size 50m;
    # git's smart HTTP: every path to git http-backend (fcgiwrap runs it as www-data). nginx passes the request
    # headers as HTTP_*; http-backend reads HTTP_GIT_PROTOCOL itself (protocol v2).
    location / {
        fastcgi_pass unix:$HTTP_FCGI_SOCK;
        fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
        fastcgi_param GIT_PROJECT_ROOT $H/git;
        fastcgi_param GIT_HTTP_EXPORT_ALL 1;
        fastcgi_param PATH_INFO \$uri;
        fastcgi_param QUERY_STRING \$query_string;
        fastcgi_param REQUEST_METHOD \$request_method;
        fastcgi_param CONTENT_TYPE \$content_type;
        fastcgi_param CONTENT_LENGTH \$content_length;
        fastcgi_param REMOTE_ADDR \$remote_addr;
        fastcgi_param SERVER_PROTOCOL \$server_protocol;
        fastcgi_param SERVER_NAME \$server_name;
        fastcgi_param SERVER_PORT \$server_port;
        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
    }
}
EOF
}

http_lab_prepare() {
  http_set_paths
  mkdir -p "$H/big" "$H/git"
  : >"$HTTP_CHECKS"
  http_deb_repo
  http_git_repo
  head -c "$HTTP_BIG_SIZE" /dev/urandom >"$H/big$HTTP_BIG_PATH"
  HTTP_BIG_SHA=$(sha "$H/big$HTTP_BIG_PATH")
  http_apt_conf "$H/apt-dev"
  http_apt_conf "$H/apt-gw"
  http_nginx_conf
}

# ---- daemons (on inet) ----
http_lab_start() {
  ip netns exec "$NS_INET" python3 "$E2E/lib/sha256-sink.py" 127.0.0.1 "$HTTP_SINK_PORT" \
    >"$H/sink.stdout" 2>"$H/sink.log" {LOCK_FD}<&- &
  HTTP_SINK_PID=$!
  BG_PIDS+=("$HTTP_SINK_PID")
  # fcgiwrap as www-data (nginx's workers connect to its socket; git http-backend reads the repository as its
  # owner), with an environment of its own: the CGI inherits it, and git as www-data with root's HOME warns
  # "unable to access '/root/.config/git/attributes'" to the client.
  ip netns exec "$NS_INET" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$(dirname "$HTTP_FCGI_SOCK")" \
    setpriv --reuid=www-data --regid=www-data --clear-groups \
    fcgiwrap -f -c 2 -s "unix:$HTTP_FCGI_SOCK" >"$H/fcgiwrap.stdout" 2>"$H/fcgiwrap.log" {LOCK_FD}<&- &
  HTTP_FCGI_PID=$!
  BG_PIDS+=("$HTTP_FCGI_PID")
}

http_lab_wait() {
  wait_service sha256-sink.py "$HTTP_SINK_PID" 15 listening "$NS_INET" "$HTTP_SINK_PORT" ||
    setup_failed "the hashing endpoint did not listen on 127.0.0.1:$HTTP_SINK_PORT in inet ($(tail -n 1 "$H/sink.log"))"
  wait_service fcgiwrap "$HTTP_FCGI_PID" 15 test -S "$HTTP_FCGI_SOCK" ||
    setup_failed "fcgiwrap did not make its socket $HTTP_FCGI_SOCK ($(tail -n 1 "$H/fcgiwrap.log"))"
}

# ---- the lab's checks (no Sluice involved): from gw, through Squid, as a client with proxy settings would ----
http_check() { lab_check http-lab "$H/checks.log" "$HTTP_CHECKS" HTTP_FAILED "$@"; } # DESCRIPTION CMD...
HTTP_GW_PROXY=
# gw_clean CMD...: CMD in gw with nothing of the host's environment but PATH (no proxy variable).
gw_clean() { in_ns "$NS_GW" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# squid_status METHOD URL WANT [curl options]: Squid's answer to a plain (absolute-form) request from gw is WANT.
squid_status() {
  local code
  code=$(gw_clean curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x "$HTTP_GW_PROXY" -X "$1" "${@:4}" "$2") || true
  printf '%s %s via %s: %s\n' "$1" "$2" "$HTTP_GW_PROXY" "$code"
  [[ $code == "$3" ]]
}
# squid_connect_status HOST:PORT WANT: Squid's answer to CONNECT HOST:PORT from gw.
squid_connect_status() {
  local code
  code=$(gw_clean curl -s -o /dev/null -w '%{http_connect}' --max-time 5 -p -x "$HTTP_GW_PROXY" "http://$1/") || true
  printf 'CONNECT %s via %s: %s\n' "$1" "$HTTP_GW_PROXY" "$code"
  [[ $code == "$2" ]]
}
inrelease_verifies() {
  gw_clean curl -sS --max-time 10 -x "$HTTP_GW_PROXY" -o "$H/InRelease.gw" "$HTTP_DEB_URL/dists/stable/InRelease" &&
    gpgv --keyring "$HTTP_DEB_KEY" "$H/InRelease.gw"
}
# apt_via_squid: apt-get update and download from gw with the developer's confinement (another directory) and
# Acquire::http::Proxy, under strace: the .deb is right and no path under /etc/apt was touched.
apt_via_squid() {
  local a=$H/apt-gw env
  mapfile -t env < <(http_apt_env "$a")
  (cd "$a/home" && gw_clean env "${env[@]}" strace -f -qq -e trace=%file -o "$a/strace.log" \
    apt-get -o "Acquire::http::Proxy=$HTTP_GW_PROXY/" --error-on=any update &&
    gw_clean env "${env[@]}" apt-get -o "Acquire::http::Proxy=$HTTP_GW_PROXY/" download "$HTTP_DEB_PKG") || return 1
  printf 'sha256 of the downloaded package: %s (the pool'"'"'s: %s)\n' "$(sha "$a/home/$(basename "$HTTP_DEB_FILE")")" "$HTTP_DEB_SHA"
  [[ $(sha "$a/home/$(basename "$HTTP_DEB_FILE")") == "$HTTP_DEB_SHA" ]] || return 1
  if grep -E '"/etc/apt(/|")' "$a/strace.log"; then echo "apt touched /etc/apt (above)"; return 1; fi
  [[ -s $a/state/lists/${HTTP_DEB_NAME}_debian_dists_stable_InRelease ]]
}
git_via_squid() {
  local head
  head=$(gw_clean env HOME="$H/apt-gw/home" GIT_CONFIG_NOSYSTEM=1 git -c "http.proxy=$HTTP_GW_PROXY" \
    ls-remote "$HTTP_REPO_URL" HEAD) || return 1
  printf 'ls-remote via Squid: %s\n' "$head"
  [[ ${head%%[[:space:]]*} == "$HTTP_REPO_HEAD" ]]
}
upload_via_squid() {
  local answer
  answer=$(gw_clean curl -sS --max-time 10 -x "$HTTP_GW_PROXY" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$T/www/mid.bin" "http://$HTTP_BIG_NAME/sha256") || return 1
  printf 'POST 1 MiB via Squid: %s (want %s 1048576)\n' "$answer" "$MID_SHA"
  [[ $answer == "$MID_SHA 1048576" ]]
}
big_via_squid() {
  local len
  len=$(gw_clean curl -sS --max-time 10 -x "$HTTP_GW_PROXY" -I "http://$HTTP_BIG_NAME$HTTP_BIG_PATH" |
    tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }') || return 1
  printf 'HEAD %s via Squid: Content-Length %s\n' "$HTTP_BIG_PATH" "$len"
  [[ $len == "$HTTP_BIG_SIZE" ]]
}

http_lab_check() {
  HTTP_FAILED=0
  HTTP_GW_PROXY=http://$SQUID_IP:$SQUID_PORT
  : >"$HTTP_CHECKS"
  http_check "squid GET $HTTP_DEB_URL/dists/stable/InRelease, signature good (gpgv)" inrelease_verifies
  http_check "apt-get update and download through squid from gw, sha256 right, nothing under /etc/apt touched (strace)" apt_via_squid
  http_check "git ls-remote $HTTP_REPO_URL through squid (git http-backend)" git_via_squid
  http_check "POST 1 MiB to http://$HTTP_BIG_NAME/sha256 through squid: its sha256" upload_via_squid
  http_check "HEAD http://$HTTP_BIG_NAME$HTTP_BIG_PATH through squid: 256 MiB" big_via_squid
  http_check "squid refuses CONNECT $HTTP_DEB_NAME:80 (403)" squid_connect_status "$HTTP_DEB_NAME:80" 403
  http_check "squid refuses GET http://$INET_IP/ (an address, 403)" squid_status GET "http://$INET_IP/mid.bin" 403
  http_check "squid refuses GET http://$HTTP_DEB_NAME:8080/ (not port 80, 403)" squid_status GET "http://$HTTP_DEB_NAME:8080/" 403
  http_check "squid refuses PUT http://$HTTP_BIG_NAME/sha256 (403)" squid_status PUT "http://$HTTP_BIG_NAME/sha256" 403 -d x
  ((HTTP_FAILED == 0)) ||
    setup_failed "HTTP lab: $HTTP_FAILED check(s) failed: $(grep -m 1 FAIL "$HTTP_CHECKS" | cut -d' ' -f3-) (details in $H/checks.log)"
}

# For e2e/run's evidence: "description:file" of the lab's logs.
http_lab_evidence() {
  printf '%s\n' "http lab checks:$T/http-lab/checks.log" "http lab nginx access log (host first):$T/http-lab/nginx-access.log" \
    "http lab hashing endpoint:$T/http-lab/sink.log" "http lab fcgiwrap:$T/http-lab/fcgiwrap.log"
}
