package dev.sluice.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import dev.sluice.config.LoggingConfig;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging} from the configuration to logback, at start and at each reload. A logger named in the
 * previous configuration and not in the new one goes back to inheriting its parent's level; the root goes back
 * to the level it started with.
 */
public final class LogLevels {
    private final Level initialRoot;
    private final Set<String> set = new HashSet<>();

    public LogLevels() {
        Logger root = root();
        this.initialRoot = root == null ? null : root.getLevel();
    }

    public synchronized void apply(LoggingConfig config) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another slf4j binding (tests, embedding): leave it alone
        }
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .setLevel(config.level() == null ? initialRoot : Level.toLevel(config.level(), initialRoot));
        for (String name : set) {
            if (!config.loggers().containsKey(name)) {
                context.getLogger(name).setLevel(null);
            }
        }
        set.clear();
        for (Map.Entry<String, String> e : config.loggers().entrySet()) {
            context.getLogger(e.getKey()).setLevel(Level.toLevel(e.getValue()));
            set.add(e.getKey());
        }
    }

    private static Logger root() {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext c
                ? c.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) : null;
    }
}
