#!/usr/bin/env python3
"""Sends one Python ssl-module ClientHello to 127.0.0.1:PORT.

SNI pypi.org, ALPN http/1.1 (what pip's urllib3 offers), the default
context otherwise.  Usage: python3 pyhello.py PORT  (the handshake is
expected to fail; the failure is ignored).  Python stdlib only.
"""
import socket
import ssl
import sys


def main():
    port = int(sys.argv[1])
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="pypi.org"):
                pass
        except (OSError, ssl.SSLError) as e:
            print("handshake failed (expected):", e)


if __name__ == "__main__":
    main()
