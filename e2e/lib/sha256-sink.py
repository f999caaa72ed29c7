#!/usr/bin/env python3
"""The HTTP lab's upload endpoint: hashes what it is sent.

usage: sha256-sink.py ADDRESS PORT

POST (any path): reads the request body as it arrives, by Content-Length or chunked, keeps none of it, and answers
200 text/plain "<sha256 hex> <bytes>\n". nginx proxies big.example.test's POST /sha256 here with request
buffering off, so a 256 MiB upload streams through. One line per request on stderr: client, length header or
chunked, bytes, seconds.
"""
import hashlib
import http.server
import sys
import time

BLOCK = 1 << 20


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def read_exactly(self, digest, n):
        while n > 0:
            data = self.rfile.read(min(n, BLOCK))
            if not data:
                raise EOFError("the body ended %d bytes early" % n)
            digest.update(data)
            n -= len(data)

    def read_chunked(self, digest):
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return total
            self.read_exactly(digest, size)
            total += size
            self.rfile.readline()  # the CRLF after the chunk

    def do_POST(self):
        t0 = time.monotonic()
        digest = hashlib.sha256()
        length = self.headers.get("Content-Length")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            framing, total = "chunked", self.read_chunked(digest)
        else:
            framing, total = "length %s" % length, int(length or 0)
            self.read_exactly(digest, total)
        body = ("%s %d\n" % (digest.hexdigest(), total)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stderr.write("%s %s %s: %d bytes in %.2f s, sha256 %s\n" % (
            self.client_address[0], self.path, framing, total, time.monotonic() - t0, digest.hexdigest()))
        sys.stderr.flush()

    def log_message(self, fmt, *args):
        pass  # one line per request above, none per status


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    server = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Sink)
    server.daemon_threads = True
    sys.stderr.write("listening on %s:%s\n" % (sys.argv[1], sys.argv[2]))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
