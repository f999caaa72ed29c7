package dev.sluice.config;

import java.util.Locale;

/** How a listener learns where a connection was originally going. */
public enum Transparent {
    /** Not known: the listener's {@code default_port} and the SNI are all there is. */
    OFF,
    /** iptables REDIRECT (nat table): {@code SO_ORIGINAL_DST} on the accepted socket. */
    REDIRECT,
    /** iptables TPROXY (mangle table): the accepted socket's local address. */
    TPROXY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
