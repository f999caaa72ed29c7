#!/usr/bin/env python3
"""Writes the seed corpus of ClientHelloParserFuzzTest from the *.bin fixtures.

Usage: python3 fuzz-seeds.py   (run from anywhere; generate.sh runs it)

The fuzz test reads its input with Jazzer's FuzzedDataProvider, which takes
numbers from the END of the input and bytes from the front:

    wire bytes | cut (2 bytes, high byte last) x N | N (1 byte) | cap-1 (2 bytes, high byte last)

so that `consumeInt(1, 4096)` gives the small cap, `consumeInt(0, 7)` the
number of cuts, `consumeInt(0, 0xffff)` each cut and the rest is the bytes
fed to the parser.  For every fixture it writes three seeds: the hello in one
read (small cap 4096), the hello cut at its record header, handshake header
and middle with a cap that it exactly fits, and the same with a cap one byte
too small.  A few hand-made seeds cover the refusals.  Seeds it wrote before
are replaced; files Jazzer added (crash-*, timeout-*...) are left alone.
Python 3 standard library only.
"""
import glob
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "dev", "sluice", "fuzz",
                   "ClientHelloParserFuzzTestInputs", "parse")
PREFIX = "seed-"


def trailer(cuts, cap):
    """The bytes after the wire bytes that make the fuzz test pick these cuts and this small cap."""
    assert len(cuts) <= 7 and 1 <= cap <= 4096
    out = b""
    for c in reversed(cuts):           # the first cut is consumed first: nearest the end
        out += struct.pack("<H", c)    # low byte first: the high byte is consumed first
    out += bytes([len(cuts)])
    out += struct.pack("<H", cap - 1)
    return out


def reframe(hello, size):
    """The handshake message of a one-record hello cut into records of `size` payload bytes."""
    hs = hello[5:]
    out = b""
    for i in range(0, len(hs), size):
        part = hs[i:i + size]
        out += bytes([22, 3, 1]) + struct.pack("!H", len(part)) + part
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, PREFIX + "*")):
        os.remove(old)
    seeds = {}
    for path in sorted(glob.glob(os.path.join(HERE, "*.bin"))):
        name = os.path.splitext(os.path.basename(path))[0]
        hello = open(path, "rb").read()
        n = len(hello)
        seeds[name + "-whole"] = hello + trailer([], 4096)
        cuts = [3, 7, n // 2]          # inside the record header, the handshake header, the body
        if n <= 4096:
            seeds[name + "-cut-fits"] = hello + trailer(cuts, n)
            seeds[name + "-cut-cap-too-small"] = hello + trailer(cuts, n - 1)
    chromium = open(os.path.join(HERE, "chromium.bin"), "rb").read()
    seeds["chromium-100-byte-records"] = reframe(chromium, 100) + trailer([1, 105, 1000], 4096)
    seeds["go-1-byte-records"] = reframe(open(os.path.join(HERE, "go.bin"), "rb").read(), 1) + trailer([], 4096)
    alert = bytearray(reframe(chromium, 100))
    alert[105] = 21                    # the second record is an alert
    seeds["alert-inside-the-hello"] = bytes(alert) + trailer([], 4096)
    seeds["plain-http"] = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n" + trailer([], 4096)
    seeds["sslv2-hello"] = bytes([0x80, 0x2e, 0x01, 0x03, 0x01]) + trailer([], 4096)
    seeds["announces-70000-bytes"] = bytes([22, 3, 1, 0x40, 0, 1, 0x01, 0x11, 0x70]) + trailer([], 4096)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, PREFIX + name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
