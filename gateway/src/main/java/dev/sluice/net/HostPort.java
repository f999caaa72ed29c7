package dev.sluice.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** A {@code host:port} pair as written ({@code 0.0.0.0:8443}, {@code [::]:8443}, {@code proxy.corp:3128}). */
public record HostPort(String host, int port) {

    /** A socket address by its IP address (never a name lookup): {@code 10.0.0.1:443}, {@code [::1]:443}. */
    public static HostPort of(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        return new HostPort(ip == null ? address.getHostString() : IpLiteral.format(ip), address.getPort());
    }

    /** Parses {@code host:port}; IPv6 literals must be bracketed. */
    public static HostPort parse(String text) {
        return parse(text, false);
    }

    /** As {@link #parse(String)}; {@code anyPort} also allows port 0 (a listener on an ephemeral port). */
    public static HostPort parse(String text, boolean anyPort) {
        String s = text.trim();
        int colon;
        String host;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port, got '" + text + "'");
            }
            host = s.substring(1, close);
            colon = close + 1;
        } else {
            colon = s.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected host:port, got '" + text + "'");
            }
            host = s.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("IPv6 addresses must be bracketed: [" + host + "]:port");
            }
        }
        String port = s.substring(colon + 1);
        return new HostPort(host, anyPort && port.equals("0") ? 0 : Ports.parse(port));
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
