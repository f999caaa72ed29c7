#!/usr/bin/env python3
"""A CONNECT relay in front of an NTLM proxy, to see (and force) the NTLM version a client answers with.

usage: ntlm-relay.py LISTEN_HOST PLAIN_PORT V1_PORT PROXY_HOST PROXY_PORT

Both ports relay to the proxy. On PLAIN_PORT the proxy's NTLM challenges (type 2) pass unchanged. On V1_PORT
the relay clears NTLMSSP_NEGOTIATE_TARGET_INFO and NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY in each
challenge: a client such as curl then answers with an NTLMv1 response (24-byte NT response) instead of NTLMv2
(which needs the target information). For every NTLM authenticate message (type 3) a client sends, one line
goes to stdout: `type3 port=P user=DOMAIN\\user nt_len=N version=NTLMv1|NTLMv2`; for each changed challenge
`type2 port=P flags=0x... -> 0x...`. After a 2xx answer to CONNECT the relay copies bytes both ways.
"""
import base64
import socket
import socketserver
import struct
import sys
import threading

TARGET_INFO = 0x00800000
EXTENDED_SESSIONSECURITY = 0x00080000
UNICODE = 0x00000001
MAX_HEAD = 65536


def log(line):
    print(line, flush=True)


def read_head(sock, buf):
    """Reads up to the end of an HTTP head; returns (head, rest) or (None, buf) at EOF."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            raise ValueError("head too long")
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    return buf[:end], buf[end:]


def ntlm_blob(line, header):
    name, _, value = line.partition(b":")
    if name.strip().lower() != header:
        return None
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"ntlm" or not token.strip():
        return None
    try:
        return base64.b64decode(token.strip(), validate=True)
    except ValueError:
        return None


def field(msg, offset):
    length, _, start = struct.unpack_from("<HHI", msg, offset)
    return msg[start:start + length]


def describe_type3(msg, port):
    flags = struct.unpack_from("<I", msg, 60)[0] if len(msg) >= 64 else 0
    enc = "utf-16-le" if flags & UNICODE else "latin-1"
    nt_len = len(field(msg, 20))
    domain = field(msg, 28).decode(enc, "replace")
    user = field(msg, 36).decode(enc, "replace")
    version = "NTLMv2" if nt_len > 24 else "NTLMv1"
    log(f"type3 port={port} user={domain}\\{user} nt_len={nt_len} version={version}")


def downgrade_type2(msg, port):
    flags = struct.unpack_from("<I", msg, 20)[0]
    new = flags & ~(TARGET_INFO | EXTENDED_SESSIONSECURITY)
    log(f"type2 port={port} flags=0x{flags:08x} -> 0x{new:08x}")
    out = bytearray(msg)
    struct.pack_into("<I", out, 20, new)
    struct.pack_into("<HHI", out, 40, 0, 0, 0)  # no target information either
    return bytes(out)


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Relay(socketserver.BaseRequestHandler):
    def handle(self):
        port = self.server.server_address[1]
        downgrade = self.server.downgrade
        client = self.request
        proxy = socket.create_connection(self.server.upstream, timeout=30)
        cbuf = pbuf = b""
        try:
            while True:
                head, cbuf = read_head(client, cbuf)
                if head is None:
                    return
                for line in head.split(b"\r\n"):
                    msg = ntlm_blob(line, b"proxy-authorization")
                    if msg and msg[8:12] == b"\x03\x00\x00\x00":
                        describe_type3(msg, port)
                proxy.sendall(head)  # CONNECT carries no body
                head, pbuf = read_head(proxy, pbuf)
                if head is None:
                    return
                lines = head[:-4].split(b"\r\n")
                length, close = 0, False
                for i, line in enumerate(lines):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    if line.lower().replace(b" ", b"") in (b"connection:close", b"proxy-connection:close"):
                        close = True
                    msg = ntlm_blob(line, b"proxy-authenticate")
                    if downgrade and msg and msg[8:12] == b"\x02\x00\x00\x00":
                        lines[i] = b"Proxy-Authenticate: NTLM " + base64.b64encode(downgrade_type2(msg, port))
                client.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
                status = lines[0].split(b" ")[1] if b" " in lines[0] else b""
                if status.startswith(b"2"):
                    if pbuf:
                        client.sendall(pbuf)
                    if cbuf:
                        proxy.sendall(cbuf)
                    proxy.settimeout(None)
                    up = threading.Thread(target=pipe, args=(client, proxy), daemon=True)
                    up.start()
                    pipe(proxy, client)
                    up.join()
                    return
                while len(pbuf) < length:
                    chunk = proxy.recv(65536)
                    if not chunk:
                        break
                    pbuf += chunk
                client.sendall(pbuf[:length])
                pbuf = pbuf[length:]
                if close:
                    return
        except (OSError, ValueError) as e:
            log(f"relay port={port} error: {e}")
        finally:
            proxy.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    host, plain_port, v1_port, proxy_host, proxy_port = sys.argv[1:6]
    servers = []
    for port, downgrade in ((int(plain_port), False), (int(v1_port), True)):
        server = Server((host, port), Relay)
        server.downgrade = downgrade
        server.upstream = (proxy_host, int(proxy_port))
        servers.append(server)
    log(f"listening on {host}:{plain_port} (as is) and {host}:{v1_port} (NTLMv1 forced) -> {proxy_host}:{proxy_port}")
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
