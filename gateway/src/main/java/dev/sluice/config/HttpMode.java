package dev.sluice.config;

import java.util.Locale;

/** How an upstream carries plain HTTP (a listener with {@code peek: http}): the upstream's {@code http} key. */
public enum HttpMode {
    /**
     * Each request goes to the proxy in absolute form ({@code GET http://host/path HTTP/1.1}), as proxies expect
     * plain HTTP; the default.
     */
    ABSOLUTE,
    /** {@code CONNECT host:80}, then the connection's bytes as they are, for proxies that allow it. */
    CONNECT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static HttpMode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "absolute" -> ABSOLUTE;
            case "connect" -> CONNECT;
            default -> throw new IllegalArgumentException("expected absolute or connect, got '" + s + "'");
        };
    }
}
