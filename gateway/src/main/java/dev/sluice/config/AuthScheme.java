package dev.sluice.config;

import java.util.Locale;

/** A proxy-authentication scheme Sluice speaks, in its default order of preference. */
public enum AuthScheme {
    NEGOTIATE, NTLM, BASIC;

    /** As written in the configuration and the access log: {@code negotiate}, {@code ntlm}, {@code basic}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The scheme's name in {@code Proxy-Authenticate} and {@code Proxy-Authorization}. */
    public String httpName() {
        return switch (this) {
            case NEGOTIATE -> "Negotiate";
            case NTLM -> "NTLM";
            case BASIC -> "Basic";
        };
    }

    static AuthScheme parse(String s) {
        for (AuthScheme a : values()) {
            if (a.label().equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("expected negotiate, ntlm or basic, got '" + s + "'");
    }
}
