package dev.sluice.config;

import java.util.Arrays;

/** A password read from a file. It never shows itself: {@code toString} is masked, equality is by identity. */
public final class Secret {
    private volatile char[] value; // set once more by FileChecks, before the configuration is published

    public Secret(String value) {
        this.value = value.toCharArray();
    }

    /** A password still to be read from its file: {@link FileChecks} loads it before the configuration is used. */
    Secret() {
        this.value = new char[0];
    }

    void load(String password) {
        this.value = password.toCharArray();
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
