package dev.sluice.config;

import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import java.util.Locale;

/** A proxy address as written: {@code http://proxy.corp.example:3128}. */
public record ProxyUrl(String scheme, String host, int port) {
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");

    public static ProxyUrl parse(String text) {
        String s = text.trim();
        int sep = s.indexOf("://");
        if (sep < 0) {
            throw new IllegalArgumentException("bad proxy URL '" + text + "': expected http://host:port");
        }
        String scheme = s.substring(0, sep).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("bad proxy URL '" + text + "': scheme must be http or https");
        }
        String rest = s.substring(sep + 3);
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.indexOf('@') >= 0) {
            throw new IllegalArgumentException("bad proxy URL: credentials do not belong in the URL; "
                    + "use auth: { username: ..., password_file: ... }");
        }
        if (rest.indexOf('/') >= 0 || rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
            throw new IllegalArgumentException("bad proxy URL '" + text + "': only scheme://host:port is allowed");
        }
        int defaultPort = scheme.equals("http") ? 80 : 443;
        HostPort hp;
        boolean hasPort = rest.startsWith("[") ? rest.indexOf("]:") >= 0 : rest.indexOf(':') >= 0
                && rest.indexOf(':') == rest.lastIndexOf(':');
        hp = hasPort ? HostPort.parse(rest) : new HostPort(stripBrackets(rest), defaultPort);
        if (hp.host().isEmpty()) {
            throw new IllegalArgumentException("bad proxy URL '" + text + "': no host");
        }
        if (!IpLiteral.is(hp.host()) && !HOST.matcher(hp.host()).matches()) {
            throw new IllegalArgumentException("bad proxy URL '" + text + "': '" + hp.host()
                    + "' is neither a host name nor an IP address");
        }
        return new ProxyUrl(scheme, hp.host().toLowerCase(Locale.ROOT), hp.port());
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    public boolean tls() {
        return scheme.equals("https");
    }

    /** {@code host:port}, IPv6 bracketed. */
    public String authority() {
        return new HostPort(host, port).toString();
    }

    @Override
    public String toString() {
        return scheme + "://" + authority();
    }
}
