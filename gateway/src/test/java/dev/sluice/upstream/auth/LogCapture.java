package dev.sluice.upstream.auth;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The lines one logger writes while a test runs, as the operator would read them ("WARN message"). */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    /** Every line so far, "LEVEL message". */
    List<String> lines() {
        synchronized (appender) { // AppenderBase.doAppend holds this lock while it adds
            return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        }
    }

    List<String> lines(Level level) {
        return lines().stream().filter(l -> l.startsWith(level + " ")).toList();
    }

    long count(Level level, String containing) {
        return lines(level).stream().filter(l -> l.contains(containing)).count();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
