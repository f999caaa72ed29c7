package dev.sluice.net;

import java.util.Locale;

/** Host names as compared everywhere: lower case, without the root's trailing dot. */
public final class HostName {
    private HostName() {
    }

    /** {@code "Example.COM."} becomes {@code "example.com"}; a lone {@code "."} stays. */
    public static String normalize(String name) {
        String s = name.toLowerCase(Locale.ROOT);
        return s.endsWith(".") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
    }
}
