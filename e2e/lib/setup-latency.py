#!/usr/bin/env python3
"""Tunnel setup latency through a gateway: N tunnels one after the other, each a TCP connect to HOST:PORT and a
full TLS handshake with SNI NAME (certificate verified against CAFILE), then a close. Prints one JSON object:
n, failures, p50_ms, p99_ms, max_ms (connect to handshake done) and the first error.

usage: setup-latency.py HOST PORT NAME CAFILE N
"""
import json
import socket
import ssl
import sys
import time


def main():
    host, port, name, cafile, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    ctx = ssl.create_default_context(cafile=cafile)
    ms, failures, first = [], 0, None
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            with socket.create_connection((host, port), timeout=10) as raw:
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with ctx.wrap_socket(raw, server_hostname=name):
                    ms.append((time.perf_counter() - t0) * 1000)
        except (OSError, ssl.SSLError) as e:
            failures += 1
            first = first or repr(e)
    ms.sort()
    q = (lambda p: round(ms[int(p * (len(ms) - 1) + 0.5)], 2)) if ms else (lambda p: None)
    print(json.dumps({"n": n, "failures": failures, "p50_ms": q(0.50), "p99_ms": q(0.99),
                      "max_ms": round(ms[-1], 2) if ms else None, "first_error": first}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
