package dev.sluice.config;

import dev.sluice.net.HostName;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One server-name pattern of a rule, parsed. {@code github.com} is exact; {@code .github.com} is the name and
 * every subdomain (Squid's dstdomain convention); {@code *.github.com} is subdomains only; {@code ~regex} is a
 * full-match regular expression. Matching is case-insensitive and ignores one trailing dot.
 */
public record NameSpec(Kind kind, String value, String text) {

    public enum Kind { EXACT, DOMAIN, SUBDOMAINS, REGEX }

    private static final Pattern NAME = Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

    public static NameSpec parse(String text) {
        String t = text.trim();
        if (t.startsWith("~")) {
            String re = t.substring(1);
            if (re.isEmpty()) {
                throw new IllegalArgumentException("empty regular expression after '~'");
            }
            try {
                Pattern.compile(re, Pattern.CASE_INSENSITIVE);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regular expression '" + re + "': " + e.getDescription());
            }
            return new NameSpec(Kind.REGEX, re, t);
        }
        String s = HostName.normalize(t);
        Kind kind = Kind.EXACT;
        if (s.startsWith("*.")) {
            kind = Kind.SUBDOMAINS;
            s = s.substring(2);
        } else if (s.startsWith(".")) {
            kind = Kind.DOMAIN;
            s = s.substring(1);
        }
        if (s.equals("*") || s.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' matches everything: leave out 'sni' to match any name");
        }
        if (s.indexOf('*') >= 0) {
            throw new IllegalArgumentException("bad name pattern '" + text
                    + "': '*' is only allowed as a leading '*.' (use ~regex for anything else)");
        }
        if (s.length() > 253 || !NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("bad name pattern '" + text + "': not a valid DNS name");
        }
        return new NameSpec(kind, s, t);
    }


    @Override
    public String toString() {
        return text;
    }
}
