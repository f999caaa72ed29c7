package dev.sluice.config;

import java.util.Arrays;

/** A password read from a file. It never shows itself: {@code toString} is masked, equality is by identity. */
public final class Secret {
    private final char[] value;

    public Secret(String value) {
        this.value = value.toCharArray();
    }

    /** The clear text, for the one place that must send it (the proxy handshake). */
    public String reveal() {
        return new String(value);
    }

    public boolean isEmpty() {
        return value.length == 0;
    }

    @Override
    public String toString() {
        return "****";
    }

    /** Wipes the value; used when a configuration is discarded. */
    public void destroy() {
        Arrays.fill(value, '\0');
    }
}
