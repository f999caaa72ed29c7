#!/usr/bin/env bash
# Regenerates the ClientHello fixtures in this directory by pointing real TLS
# clients at capture.py (which records the raw ClientHello record(s) and then
# resets the connection).  All traffic stays on 127.0.0.1.
#
# Usage: bash generate.sh            (all fixtures)
#        bash generate.sh curl go    (only the named ones)
# Needs: python3, openssl, curl, java (17+), go, chromium and firefox-esr
# (both optional; skipped with a warning when absent).  Afterwards it refreshes
# the fuzz-test seeds made from these fixtures (fuzz-seeds.py).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

TMP="$(mktemp -d)"
CLIENT_PID=""
CAPTURE_PID=""

cleanup() {
    # Kill only what this script started (each client runs in its own
    # process group via setsid, so its children go too).
    if [[ -n "$CLIENT_PID" ]]; then kill -- "-$CLIENT_PID" 2>/dev/null || true; fi
    if [[ -n "$CAPTURE_PID" ]]; then kill "$CAPTURE_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# capture OUTFILE CMD...   -- "@PORT@" in CMD is replaced by the fresh port.
capture() {
    local out="$1"; shift
    local port ready args=() a i
    port="$(free_port)"
    ready="$TMP/ready.$port"
    for a in "$@"; do args+=("${a//@PORT@/$port}"); done

    echo "== $out (port $port): ${args[*]}"
    python3 capture.py "$port" "$TMP/$out" "$ready" &
    CAPTURE_PID=$!
    for i in $(seq 100); do
        [[ -e "$ready" ]] && break
        sleep 0.1
    done
    [[ -e "$ready" ]] || { echo "capture server did not start" >&2; exit 1; }

    # Client in its own session/process group; stdin from /dev/null.
    setsid "${args[@]}" </dev/null >"$TMP/$out.client.log" 2>&1 &
    CLIENT_PID=$!

    local rc=0
    wait "$CAPTURE_PID" || rc=$?
    CAPTURE_PID=""

    # Give the client a moment to notice the reset, then make sure it is gone.
    for i in $(seq 30); do
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -- "-$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true   # client's own exit code is ignored
    CLIENT_PID=""

    if [[ $rc -ne 0 ]]; then
        echo "capture for $out failed (rc=$rc); client output:" >&2
        cat "$TMP/$out.client.log" >&2
        exit 1
    fi
    mv "$TMP/$out" "$HERE/$out"
}

want() {  # want NAME -> true if NAME was requested (or nothing was)
    [[ ${#SELECTED[@]} -eq 0 ]] && return 0
    local s
    for s in "${SELECTED[@]}"; do [[ "$s" == "$1" ]] && return 0; done
    return 1
}
SELECTED=("$@")

if want openssl; then
    capture openssl-s_client.bin \
        openssl s_client -connect 127.0.0.1:@PORT@ -servername proxy.golang.org -alpn h2,http/1.1
    capture openssl-tls12-noalpn.bin \
        openssl s_client -connect 127.0.0.1:@PORT@ -tls1_2 -servername sum.golang.org
    capture openssl-nosni.bin \
        openssl s_client -connect 127.0.0.1:@PORT@ -noservername
fi

if want curl; then
    capture curl.bin \
        curl -sS -m 20 --connect-to github.com:443:127.0.0.1:@PORT@ https://github.com/
fi

if want go; then
    export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
    # Warm the build cache so compiling does not eat into the capture timeout.
    (cd gohello && go build -o /dev/null .)
    capture go.bin bash -c 'cd gohello && exec go run . @PORT@'
fi

if want jdk; then
    capture jdk.bin java JdkHello.java @PORT@
fi

if want python; then
    capture python.bin python3 pyhello.py @PORT@
fi

if want chromium; then
    CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
    if [[ -z "$CHROMIUM" ]]; then
        echo "WARNING: chromium not found, chromium.bin not regenerated" >&2
    else
        PROFILE="$(mktemp -d)"
        capture chromium.bin \
            "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
            --no-first-run --disable-background-networking \
            --disable-component-update --disable-sync \
            --user-data-dir="$PROFILE" \
            "--host-resolver-rules=MAP www.example.com 127.0.0.1:@PORT@" \
            --dump-dom https://www.example.com/
        rm -rf "$PROFILE"
    fi
fi

if want firefox; then
    FIREFOX="$(command -v firefox-esr || command -v firefox || true)"
    if [[ -z "$FIREFOX" ]]; then
        echo "WARNING: firefox-esr not found, firefox.bin not regenerated" >&2
    else
        # A fresh profile whose every name resolves to 127.0.0.1 (Firefox has no per-host
        # resolver rule); the port is in the URL, so the SNI is www.example.com. Background
        # services are off so that the one connection to the capture port is the page's.
        PROFILE="$(mktemp -d)"
        cat >"$PROFILE/user.js" <<'PREFS'
user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("network.trr.mode", 5);
user_pref("network.http.http3.enable", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("app.update.enabled", false);
PREFS
        capture firefox.bin \
            "$FIREFOX" --headless --no-remote --profile "$PROFILE" \
            --screenshot "$PROFILE/page.png" "https://www.example.com:@PORT@/"
        rm -rf "$PROFILE"
    fi
fi

echo
echo "== fuzz-test seeds"
python3 fuzz-seeds.py

echo
echo "== client versions"
openssl version
curl --version | head -n 1
go version 2>/dev/null || true
java -version 2>&1 | head -n 1
python3 -c 'import ssl, sys; print("Python", sys.version.split()[0], ssl.OPENSSL_VERSION)'
chromium --version 2>/dev/null || true
firefox-esr --version 2>/dev/null || true
echo
echo "== fixtures"
ls -l -- *.bin
