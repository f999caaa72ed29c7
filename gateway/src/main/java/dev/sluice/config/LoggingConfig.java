package dev.sluice.config;

import java.util.Map;

/**
 * Log levels, applied at start and at each reload: {@code level} for the root logger (null: as started, INFO
 * unless {@code -Dsluice.log.level} says otherwise) and per logger name ({@code dev.sluice.upstream: debug}).
 * Levels are logback's, lower case: off, error, warn, info, debug, trace.
 */
public record LoggingConfig(String level, Map<String, String> loggers) {
    public static final LoggingConfig DEFAULTS = new LoggingConfig(null, Map.of());
}
