package dev.sluice.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Netty's leak detector at {@code paranoid} for a test class (every buffer tracked, its last accesses recorded),
 * and any {@code LEAK:} report fails the test it came after: {@code @ExtendWith(NettyLeaks.class)}.
 *
 * <p>Netty reports a leak when a buffer that was never released has been garbage-collected, and only on a later
 * allocation (the detector polls its reference queue then). So after each test (after its {@code @AfterEach}, so
 * the gateway is closed) this runs a full GC, waits until the GC's references have been processed, allocates a
 * buffer from each allocator, and fails the test if the detector's logger ({@code io.netty.util.ResourceLeakDetector},
 * through slf4j to logback) wrote a {@code LEAK:} line. Reports from before the class are dropped. The level goes
 * back to what it was when the class ends. A gateway in another process is not seen here: such suites start it with
 * {@link GatewayProcess#PARANOID_LEAKS} and look for {@code LEAK:} in its log.
 */
public final class NettyLeaks implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    /** The logger Netty's detector reports through. */
    public static final String LOGGER = ResourceLeakDetector.class.getName();
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NettyLeaks.class);

    /** The {@code LEAK:} reports logged while it is installed. */
    public static final class Catcher extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        public final List<String> leaks = new CopyOnWriteArrayList<>();
        private final Logger logger = (Logger) LoggerFactory.getLogger(LOGGER);

        public Catcher() {
            setName("netty-leaks");
            setContext(logger.getLoggerContext());
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent e) {
            String m = e.getFormattedMessage();
            if (m != null && m.contains("LEAK:")) {
                leaks.add(m);
            }
        }

        /** GC, let the references be queued, allocate so the detector reports; returns the reports so far. */
        public List<String> flush() {
            NettyLeaks.flush();
            return List.copyOf(leaks);
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }

    private record State(ResourceLeakDetector.Level before, Catcher catcher) implements AutoCloseable {
        @Override
        public void close() {
            catcher.close();
            ResourceLeakDetector.setLevel(before);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        Catcher catcher = new Catcher();
        catcher.flush(); // what earlier classes left is theirs
        catcher.leaks.clear();
        context.getStore(NS).put(State.class, new State(before, catcher));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context, "after " + context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            check(context, "after the class");
        } finally {
            context.getStore(NS).remove(State.class, State.class).close();
        }
    }

    private static void check(ExtensionContext context, String when) {
        Catcher catcher = context.getStore(NS).get(State.class, State.class).catcher();
        List<String> leaks = catcher.flush();
        catcher.leaks.clear();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported " + when + ":\n"
                    + String.join("\n\n", leaks));
        }
    }

    /**
     * A full GC; then waits until a weak reference cleared by it has been enqueued (the reference handler has run
     * for that GC, so the leaked buffers' references are queued too); then allocates and releases a buffer from
     * each allocator Netty uses, which makes each detector poll its queue and report.
     */
    static void flush() {
        for (int round = 0; round < 2; round++) {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            WeakReference<Object> canary = new WeakReference<>(new Object(), queue);
            System.gc();
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        if (queue.poll() != null) {
                            return true;
                        }
                        System.gc();
                        return false;
                    });
            if (canary.get() != null) {
                throw new IllegalStateException("the canary survived a GC");
            }
            List<ByteBuf> probes = new ArrayList<>();
            for (ByteBufAllocator a : new ByteBufAllocator[] {ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                    UnpooledByteBufAllocator.DEFAULT}) {
                probes.add(a.directBuffer(16));
                probes.add(a.heapBuffer(16));
            }
            probes.forEach(ByteBuf::release);
        }
    }
}
