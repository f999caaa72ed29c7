package dev.sluice.config;

import java.util.Locale;

/** What a rule does with a connection it matches. */
public enum Action {
    /** CONNECT tunnel through the rule's upstream proxies, bytes untouched. */
    SPLICE,
    /** The gateway connects to the destination itself. */
    DIRECT,
    /** Close the connection. */
    REJECT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
