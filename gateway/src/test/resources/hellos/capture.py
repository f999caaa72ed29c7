#!/usr/bin/env python3
"""Capture one raw TLS ClientHello.

Usage: capture.py PORT OUTFILE [READYFILE]

Listens on 127.0.0.1:PORT, accepts ONE connection and reads TLS records
(content type 22 = handshake) until the reassembled handshake stream holds a
complete ClientHello (handshake type 1, 3-byte length; it may span several
records).  Writes exactly the raw bytes of the record(s) that carry it,
record headers included, to OUTFILE, then resets the connection.

If READYFILE is given it is created once the socket is listening, so a caller
can wait for it before starting the client.

Exits 0 on success, non-zero if no complete ClientHello arrived within
TIMEOUT seconds (overall) or the bytes were not a TLS handshake.
Python 3 standard library only.
"""
import socket
import struct
import sys
import time

TIMEOUT = 20.0
MAX_HELLO = 1 << 20  # sanity bound on the handshake length


def fail(msg):
    print("capture.py: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) not in (3, 4):
        fail("usage: capture.py PORT OUTFILE [READYFILE]")
    port = int(sys.argv[1])
    out = sys.argv[2]
    ready = sys.argv[3] if len(sys.argv) == 4 else None

    deadline = time.monotonic() + TIMEOUT
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    if ready:
        open(ready, "w").close()

    srv.settimeout(TIMEOUT)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        fail("timeout: no connection")
    finally:
        srv.close()

    buf = b""          # raw bytes received so far
    pos = 0            # offset of the next unparsed record header in buf
    hs = b""           # reassembled handshake payload
    result = None
    try:
        while result is None:
            # Parse every complete record currently in buf.
            while result is None and len(buf) - pos >= 5:
                ctype, _ver, rlen = struct.unpack("!BHH", buf[pos:pos + 5])
                if ctype != 22:
                    fail("record at offset %d has content type %d, not 22"
                         % (pos, ctype))
                if len(buf) - pos < 5 + rlen:
                    break  # record incomplete, read more
                hs += buf[pos + 5:pos + 5 + rlen]
                pos += 5 + rlen
                if len(hs) >= 4:
                    if hs[0] != 1:
                        fail("first handshake message has type %d, not 1"
                             % hs[0])
                    hlen = int.from_bytes(hs[1:4], "big")
                    if hlen > MAX_HELLO:
                        fail("implausible ClientHello length %d" % hlen)
                    if len(hs) >= 4 + hlen:
                        result = buf[:pos]
            if result is not None:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                fail("timeout: incomplete ClientHello (%d bytes)" % len(buf))
            conn.settimeout(remaining)
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                fail("timeout: incomplete ClientHello (%d bytes)" % len(buf))
            if not chunk:
                fail("peer closed before a complete ClientHello (%d bytes)"
                     % len(buf))
            buf += chunk
    finally:
        # Abortive close (RST): the client will just see a failed handshake.
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        except OSError:
            pass
        conn.close()

    with open(out, "wb") as f:
        f.write(result)
    hlen = int.from_bytes(hs[1:4], "big")
    if len(hs) != 4 + hlen:
        print("capture.py: note: %d handshake bytes after the ClientHello "
              "in its last record" % (len(hs) - 4 - hlen), file=sys.stderr)
    print("captured %d bytes (ClientHello body %d bytes) -> %s"
          % (len(result), hlen, out))


if __name__ == "__main__":
    main()
