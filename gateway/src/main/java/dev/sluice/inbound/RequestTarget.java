package dev.sluice.inbound;

import dev.sluice.config.Printable;
import dev.sluice.net.HostName;
import dev.sluice.net.IpLiteral;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a plain HTTP request goes, read strictly from its request target and {@code Host} (RFC 9112, 3.2): the
 * host (a name, or an IP literal), the port, and the path with its query. An absolute-form target
 * ({@code http://host/path}) names the host itself and its {@code Host} is ignored, as RFC 9112 says; otherwise
 * exactly one {@code Host} must be there (HTTP/1.0 may leave it out, and then the request has no name).
 * Anything that could be read two ways is refused with a {@link Refusal}: user info, a port other than the one
 * the client connected to, an IP literal other than the connection's destination, a name with bytes a DNS
 * name cannot have, a target with a byte outside printable ASCII, CONNECT, an asterisk or authority form.
 */
public record RequestTarget(String host, int port, String path) {
    /** Letters, digits, '-' and '_' in dot-separated labels (a trailing dot allowed). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?");
    private static final int MAX_NAME = 253;

    /** Why a request cannot be routed, with the status to answer it with. */
    public static final class Refusal extends Exception {
        private final int status;

        public Refusal(int status, String why) {
            super(why, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * Reads the target of a request. {@code hosts}: every {@code Host} field value; {@code http10}: an HTTP/1.0
     * request; {@code dst}: where the client's connection was going (null when unknown); {@code port}: the port it
     * was going to (or the listener's default port). A request without any name has a null {@link #host}.
     */
    public static RequestTarget of(String method, String uri, List<String> hosts, boolean http10, InetAddress dst,
                                   int port) throws Refusal {
        if (method.equals("CONNECT")) {
            throw new Refusal(405, "CONNECT is not served on a transparent HTTP port");
        }
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new Refusal(400, "the request target '" + shown(uri) + "' has a byte no URI can have");
            }
        }
        if (hosts.size() > 1) {
            throw new Refusal(400, "the request has " + hosts.size() + " Host fields"); // RFC 9112, 3.2
        }
        String authority;
        String path;
        if (uri.startsWith("/")) {
            path = uri;
            if (hosts.isEmpty()) {
                if (!http10) {
                    throw new Refusal(400, "an HTTP/1.1 request without Host");
                }
                return new RequestTarget(null, port, path);
            }
            authority = hosts.get(0);
        } else if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            int slash = uri.indexOf('/', 7);
            int query = uri.indexOf('?', 7);
            int end = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
            authority = end < 0 ? uri.substring(7) : uri.substring(7, end);
            path = end < 0 ? "/" : uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end);
        } else if (uri.equals("*")) {
            throw new Refusal(400, "an asterisk-form request (OPTIONS *) names no resource to forward");
        } else {
            throw new Refusal(400, "request target '" + shown(uri) + "' is neither a path nor an http:// URI");
        }
        return authority(authority, path, dst, port);
    }

    private static RequestTarget authority(String authority, String path, InetAddress dst, int port) throws Refusal {
        if (authority.indexOf('@') >= 0) {
            throw new Refusal(400, "the authority '" + shown(authority) + "' carries user info");
        }
        String host;
        String portText = null;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new Refusal(400, "bad IPv6 literal in '" + shown(authority) + "'");
            }
            host = authority.substring(1, close);
            if (close + 1 < authority.length()) {
                if (authority.charAt(close + 1) != ':') {
                    throw new Refusal(400, "bad authority '" + shown(authority) + "'");
                }
                portText = authority.substring(close + 2);
            }
            if (IpLiteral.parse(host) == null || host.indexOf(':') < 0) {
                throw new Refusal(400, "bad IPv6 literal in '" + shown(authority) + "'");
            }
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? null : authority.substring(colon + 1);
        }
        if (portText != null && !portText.isEmpty()) {
            int p = parsePort(portText, authority);
            if (p != port) {
                throw new Refusal(400, "the request names port " + p + ", but the connection was to port " + port);
            }
        }
        if (IpLiteral.is(host)) {
            InetAddress ip = IpLiteral.parse(host);
            if (dst != null && !ip.equals(dst)) {
                throw new Refusal(400, "the request names address " + IpLiteral.format(ip)
                        + ", but the connection was to " + IpLiteral.format(dst));
            }
            return new RequestTarget(IpLiteral.format(ip), port, path);
        }
        if (host.isEmpty() || host.length() > MAX_NAME || !NAME.matcher(host).matches()) {
            throw new Refusal(400, "'" + shown(host) + "' is not a host name");
        }
        return new RequestTarget(HostName.normalize(host), port, path);
    }

    private static int parsePort(String text, String authority) throws Refusal {
        if (text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Refusal(400, "bad port in '" + shown(authority) + "'");
        }
        int p = Integer.parseInt(text);
        if (p < 1 || p > 65535) {
            throw new Refusal(400, "bad port in '" + shown(authority) + "'");
        }
        return p;
    }

    /** True when the host is an IP literal (routed by the destination, like a hello without a name). */
    public boolean ipLiteral() {
        return host != null && IpLiteral.is(host);
    }

    /** The absolute form for a proxy: {@code http://host[:port]/path} (the port left out when it is 80). */
    public String absolute() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "http://" + h + (port == 80 ? "" : ":" + port) + path;
    }

    /** The {@code Host} value that goes with {@link #absolute}. */
    public String authority() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return port == 80 ? h : h + ":" + port;
    }

    /** Attacker-controlled text made safe to show, cut to 256 bytes. */
    public static String shown(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return Printable.of(b, 0, b.length, 256);
    }

    /** The method as shown in logs: at most 32 bytes, escaped. */
    public static String method(String method) {
        byte[] b = method.getBytes(StandardCharsets.UTF_8);
        return Printable.of(b, 0, b.length, 32);
    }
}
