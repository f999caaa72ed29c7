package dev.sluice.config;

import java.util.regex.Pattern;

/** The names an operator gives listeners, upstreams and rules: what they may be made of. */
final class Names {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private Names() {
    }

    /** {@code s} when it is a good name, else an IllegalArgumentException saying what names use. */
    static String name(String s) {
        if (!NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + s + "': names use letters, digits, '.', '_' and '-' (max 63)");
        }
        return s;
    }
}
