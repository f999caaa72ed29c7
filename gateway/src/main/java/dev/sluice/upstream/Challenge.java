package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One challenge of a {@code Proxy-Authenticate} header: its scheme ({@code null} for one Sluice does not speak,
 * then {@code name} says which) and its token68 (a Negotiate or NTLM token, base64), null when it has none.
 */
record Challenge(AuthScheme scheme, String name, String token) {

    /**
     * Every challenge in the values of the Proxy-Authenticate fields (RFC 9110 section 11.6.1: one field may hold
     * several, separated by commas, and a challenge's auth-params are separated by commas too).
     */
    static List<Challenge> parse(List<String> values) {
        List<Challenge> out = new ArrayList<>(2);
        for (String v : values) {
            for (String item : items(v)) {
                int sp = item.indexOf(' ');
                String first = sp < 0 ? item : item.substring(0, sp);
                if (first.indexOf('=') >= 0) {
                    continue; // an auth-param (realm="...") of the challenge before it: not needed here
                }
                if (!isToken(first)) {
                    first = "?"; // not a scheme name: shown as ? in messages, never as the proxy's bytes
                }
                String rest = sp < 0 ? "" : item.substring(sp + 1).trim();
                out.add(new Challenge(scheme(first), first, isToken68(rest) ? rest : null));
            }
        }
        return out;
    }

    /** The comma-separated items of one field value, quotes respected, blanks dropped. */
    private static List<String> items(String v) {
        List<String> out = new ArrayList<>(2);
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i <= v.length(); i++) {
            char c = i < v.length() ? v.charAt(i) : ',';
            if (c == '"' && (i == 0 || v.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                String item = v.substring(start, i).trim();
                if (!item.isEmpty()) {
                    out.add(item);
                }
                start = i + 1;
            }
        }
        return out;
    }

    private static AuthScheme scheme(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "negotiate" -> AuthScheme.NEGOTIATE;
            case "ntlm" -> AuthScheme.NTLM;
            case "basic" -> AuthScheme.BASIC;
            default -> null;
        };
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** token68: letters, digits, "-._~+/", then any number of "=". */
    private static boolean isToken68(String s) {
        int i = 0;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) && s.charAt(i) < 128
                || "-._~+/".indexOf(s.charAt(i)) >= 0)) {
            i++;
        }
        if (i == 0) {
            return false;
        }
        while (i < s.length() && s.charAt(i) == '=') {
            i++;
        }
        return i == s.length();
    }

    /** The schemes offered, in the proxy's order, for messages: "Negotiate, NTLM, Basic" (at most 5, each cut). */
    static String names(List<Challenge> offered) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        for (Challenge c : offered) {
            names.add(c.name().length() > 32 ? c.name().substring(0, 32) + "..." : c.name());
        }
        if (names.isEmpty()) {
            return "no scheme";
        }
        List<String> shown = names.stream().limit(5).toList();
        return String.join(", ", shown) + (names.size() > 5 ? " and " + (names.size() - 5) + " more" : "");
    }
}
