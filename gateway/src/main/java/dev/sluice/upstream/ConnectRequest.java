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
 * absolute form: {@code HEAD} of the first request's own URI, which the proxy forwards once it has authenticated
 * us; its answer has no body, so nothing but the head is read. Proxies tie NTLM and Negotiate to the connection,
 * so the requests that follow on it need no header of their own. ({@code OPTIONS} with {@code Max-Forwards: 0},
 * which a proxy would answer itself, does not work: Squid answers it 501 before it authenticates anyone.)
 */
final class ConnectRequest {
    private static final byte[] AUTHORIZATION = "Proxy-Authorization: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private final byte[] head;
    private final boolean probe;
    private final String method;

    /** {@code forwardedFor}: the client's address, for X-Forwarded-For and Forwarded; null for none. */
    ConnectRequest(String host, int port, InetAddress forwardedFor) {
        this("CONNECT " + new HostPort(host, port), new HostPort(host, port).toString(), forwardedFor, false);
    }

    private ConnectRequest(String line, String hostField, InetAddress forwardedFor, boolean probe) {
        this.probe = probe;
        this.method = line.substring(0, line.indexOf(' '));
        StringBuilder sb = new StringBuilder(128).append(line).append(" HTTP/1.1\r\nHost: ").append(hostField)
                .append("\r\nProxy-Connection: keep-alive\r\n");
        if (forwardedFor != null) {
            String ip = IpLiteral.format(forwardedFor);
            sb.append("X-Forwarded-For: ").append(ip).append("\r\nForwarded: for=")
                    .append(ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip).append("\r\n");
        }
        this.head = sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The authentication probe of a connection for plain HTTP, {@code HEAD uri} (absolute form; see above). */
    static ConnectRequest probe(String uri, InetAddress forwardedFor) {
        return new ConnectRequest("HEAD " + uri, authority(uri), forwardedFor, true);
    }

    /** {@code http://host[:port]/...} → {@code host[:port]}. */
    private static String authority(String uri) {
        int start = uri.indexOf("//") + 2;
        int end = uri.indexOf('/', start);
        return end < 0 ? uri.substring(start) : uri.substring(start, end);
    }

    /** {@code CONNECT}, or {@code HEAD} for a probe: what the proxy is said to have answered or not. */
    String method() {
        return method;
    }

    /** True for a probe: any final answer but 407 ends the exchange (a HEAD's: no body), not only a 2xx. */
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
