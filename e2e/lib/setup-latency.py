#!/usr/bin/env python3
"""Tunnel setup latency and gateway CPU per tunnel, for several gateways or schemes measured in one run.

Each tunnel is a TCP connect to HOST:PORT and a full TLS handshake with SNI NAME (the certificate verified against
CAFILE), then a close; its setup time runs from the connect to the handshake's end. The targets are measured
interleaved, ROUNDS times N/ROUNDS tunnels each in turn, so that a machine that slows down or speeds up during the
run affects all alike. The CPU of each target's gateway process (utime + stime from /proc/PID/stat) is counted
over its own tunnels only. Prints a Markdown table; exit 1 if any tunnel failed.

usage: setup-latency.py CAFILE N ROUNDS LABEL=HOST:PORT:NAME:PID ...
"""
import os
import socket
import ssl
import sys
import time


def ticks(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)


def tunnel(ctx, host, port, name):
    t0 = time.perf_counter()
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.wrap_socket(raw, server_hostname=name):
            return (time.perf_counter() - t0) * 1000


def main():
    cafile, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    targets = []
    for arg in sys.argv[4:]:
        label, spec = arg.split("=", 1)
        host, port, name, pid = spec.split(":")
        targets.append({"label": label, "host": host, "port": int(port), "name": name, "pid": pid, "ms": [],
                        "ticks": 0, "failures": 0, "first": None})
    ctx = ssl.create_default_context(cafile=cafile)
    chunk = n // rounds
    for _ in range(rounds):
        for t in targets:
            c0 = ticks(t["pid"])
            for _ in range(chunk):
                try:
                    t["ms"].append(tunnel(ctx, t["host"], t["port"], t["name"]))
                except (OSError, ssl.SSLError) as e:
                    t["failures"] += 1
                    t["first"] = t["first"] or repr(e)
            t["ticks"] += ticks(t["pid"]) - c0
    hz = os.sysconf("SC_CLK_TCK")
    print("| scheme | tunnels | setup p50 ms | p99 ms | max ms | gateway CPU ms/tunnel |")
    print("|---|---|---|---|---|---|")
    bad = 0
    for t in targets:
        ms = sorted(t["ms"])
        q = lambda p: ms[int(p * (len(ms) - 1) + 0.5)]
        done = len(ms) + t["failures"]
        print("| %s | %d | %.2f | %.2f | %.2f | %.2f |" % (t["label"], done, q(0.5), q(0.99), ms[-1],
                                                          t["ticks"] * 1000.0 / hz / done))
        if t["failures"]:
            bad += 1
            print("%s: %d of %d tunnels failed, first: %s" % (t["label"], t["failures"], done, t["first"]),
                  file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
