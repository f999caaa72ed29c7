package dev.sluice.config;



/** One problem in a configuration file, shown as {@code FILE:LINE:COL: message}. */
public record ConfigError(Position position, String message) implements Comparable<ConfigError> {

    @Override
    public int compareTo(ConfigError o) {
        int c = Integer.compare(position.line(), o.position.line());
        return c != 0 ? c : Integer.compare(position.column(), o.position.column());
    }

    @Override
    public String toString() {
        return position + ": " + message;
    }
}
