package dev.sluice.policy;

import dev.sluice.config.NameSpec;
import java.util.regex.Pattern;

/** One name pattern as a predicate, for single checks and for explaining which pattern matched. */
public final class NamePattern {
    private final NameSpec spec;
    private final Pattern regex;

    public NamePattern(NameSpec spec) {
        this.spec = spec;
        this.regex = spec.kind() == NameSpec.Kind.REGEX
                ? Pattern.compile(spec.value(), Pattern.CASE_INSENSITIVE) : null;
    }

    /** {@code name} must already be normalized ({@link dev.sluice.net.HostName#normalize}). */
    public boolean matches(String name) {
        String v = spec.value();
        return switch (spec.kind()) {
            case EXACT -> name.equals(v);
            case DOMAIN -> name.equals(v) || isBelow(name, v);
            case SUBDOMAINS -> isBelow(name, v);
            case REGEX -> regex.matcher(name).matches();
        };
    }

    private static boolean isBelow(String name, String domain) {
        return name.length() > domain.length() + 1 && name.endsWith(domain)
                && name.charAt(name.length() - domain.length() - 1) == '.';
    }

    public NameSpec spec() {
        return spec;
    }

    @Override
    public String toString() {
        return spec.text();
    }
}
