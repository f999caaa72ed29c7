package dev.sluice.upstream;

import dev.sluice.net.IpLiteral;
import dev.sluice.net.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of {@code CONNECT host:port HTTP/1.1} for one tunnel: {@code Host}, {@code Proxy-Connection:
 * keep-alive} (the connection may carry several legs of an authentication), the client's address when the
 * upstream forwards it, and, per leg, {@code Proxy-Authorization}. The fixed part is made once per tunnel.
 *
 * <p>A {@linkplain #probe probe} is the same exchange for a connection that will carry plain HTTP requests in
 * absolute form: {@code OPTIONS http://host:port/} with {@code Max-Forwards: 0}, which the proxy answers itself
 * (RFC 9110, 7.6.2) once it has authenticated us. Proxies tie NTLM and Negotiate to the connection, so the
 * requests that follow on it need no header of their own.
 */
final class ConnectRequest {
    private static final byte[] AUTHORIZATION = "Proxy-Authorization: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private final byte[] head;
    private final boolean probe;

    /** {@code forwardedFor}: the client's address, for X-Forwarded-For and Forwarded; null for none. */
    ConnectRequest(String host, int port, InetAddress forwardedFor) {
        this(host, port, forwardedFor, false);
    }

    private ConnectRequest(String host, int port, InetAddress forwardedFor, boolean probe) {
        this.probe = probe;
        String target = new HostPort(host, port).toString();
        if (probe && port == 80) {
            target = target.substring(0, target.length() - 3); // as the requests that follow will name it
        }
        StringBuilder sb = new StringBuilder(128).append(probe ? "OPTIONS http://" + target + "/" : "CONNECT " + target)
                .append(" HTTP/1.1\r\nHost: ").append(target)
                .append(probe ? "\r\nMax-Forwards: 0" : "").append("\r\nProxy-Connection: keep-alive\r\n");
        if (forwardedFor != null) {
            String ip = IpLiteral.format(forwardedFor);
            sb.append("X-Forwarded-For: ").append(ip).append("\r\nForwarded: for=")
                    .append(ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip).append("\r\n");
        }
        this.head = sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The authentication probe of a connection for plain HTTP to {@code host:port} (see above). */
    static ConnectRequest probe(String host, int port, InetAddress forwardedFor) {
        return new ConnectRequest(host, port, forwardedFor, true);
    }

    /** True for a probe: any final answer but 407 ends the exchange (its body drained), not only a 2xx. */
    boolean probe() {
        return probe;
    }

    /** One leg's request; {@code authorization} is the Proxy-Authorization value, or null. */
    ByteBuf encode(ByteBufAllocator alloc, String authorization) {
        int size = head.length + 2 + (authorization == null ? 0 : AUTHORIZATION.length + authorization.length() + 2);
        ByteBuf buf = alloc.directBuffer(size);
        buf.writeBytes(head);
        if (authorization != null) {
            buf.writeBytes(AUTHORIZATION);
            buf.writeCharSequence(authorization, StandardCharsets.US_ASCII);
            buf.writeBytes(CRLF);
        }
        return buf.writeBytes(CRLF);
    }

    /** The request as text, for tests. */
    @Override
    public String toString() {
        return new String(head, StandardCharsets.US_ASCII);
    }
}
