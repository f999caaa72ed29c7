#!/usr/bin/env python3
"""A proxy that hangs, for the end-to-end suite: accepts TCP connections and holds them open, never reading a
byte and never answering (a corporate proxy whose worker is stuck). Sluice must give up after timeouts.connect.

usage: hang.py ADDRESS PORT

Prints "listening ADDRESS:PORT" once bound and "accepted HOST:PORT" for each connection (flushed at once).
SIGTERM ends it (the default action); the held connections close with it.
"""
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    address, port = sys.argv[1], int(sys.argv[2])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(128)
    print("listening %s:%d" % (address, port), flush=True)
    held = []
    while True:
        conn, peer = server.accept()
        held.append(conn)  # kept open, never read: the CONNECT request sits unanswered in its receive buffer
        print("accepted %s:%d" % peer, flush=True)


if __name__ == "__main__":
    main()
