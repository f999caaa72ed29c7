package dev.sluice.observe.logging;

import dev.sluice.dns.DnsEvents;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS responder's problems in the log, each cause at most once a minute with how many there were, and its
 * answers passed on to {@code answers} (the metrics). A flood of bad questions costs one line a minute per cause.
 */
public final class DnsLog implements DnsEvents {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.dns");
    static final long INTERVAL_MILLIS = 60_000;

    private final Consumer<Answer> answers;
    private final Map<Problem, Throttle> throttles = new EnumMap<>(Problem.class);

    public DnsLog(Consumer<Answer> answers) {
        this.answers = answers;
        for (Problem p : Problem.values()) {
            throttles.put(p, new Throttle(INTERVAL_MILLIS));
        }
    }

    @Override
    public void answered(Answer answer) {
        answers.accept(answer);
    }

    @Override
    public void problem(Problem problem, String detail) {
        long n = throttles.get(problem).event();
        if (n > 0) {
            LOG.warn("{} ({} in the last minute); latest: {}", problem.text(), n, detail);
        }
    }
}
