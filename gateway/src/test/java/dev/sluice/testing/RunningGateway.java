package dev.sluice.testing;

import static org.awaitility.Awaitility.await;

import dev.sluice.Gateway;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.GatewayConfig;
import dev.sluice.observe.logging.AccessLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A gateway started in this JVM from YAML text, with its access log lines collected for assertions. */
public final class RunningGateway implements AutoCloseable {
    public final Gateway gateway;
    public final List<String> accessLog = new CopyOnWriteArrayList<>();

    private RunningGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    public static RunningGateway start(String yaml, Path dir) throws Exception {
        GatewayConfig config = ConfigLoader.parse("test.yaml", yaml, dir);
        AccessLog log = AccessLog.open("off");
        RunningGateway rg = new RunningGateway(new Gateway(config, log));
        log.tap(rg.accessLog::add);
        rg.gateway.start();
        return rg;
    }

    /** The port of the n-th listener. */
    public int port(int n) {
        return gateway.boundAddresses().get(n).getPort();
    }

    public int port() {
        return port(0);
    }

    /** Waits for the access log line that matches, and returns it. */
    public String awaitLine(Predicate<String> p) {
        return await().atMost(Duration.ofSeconds(10)).until(
                () -> accessLog.stream().filter(p).findFirst().orElse(null), l -> l != null);
    }

    /** Waits for the access-log line of the n-th connection to end (0-based). */
    public String awaitLine(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> accessLog.size() > n);
        return accessLog.get(n);
    }

    /** Waits for the access-log lines of the first {@code n} connections to end, and returns them. */
    public List<String> awaitLines(int n) {
        await().atMost(Duration.ofSeconds(20)).until(() -> accessLog.size() >= n);
        return List.copyOf(accessLog.subList(0, n));
    }

    /**
     * A top-level field of a JSON access-log line, read with {@link Json}: a string unescaped, a number's digits;
     * null for JSON null or absent. Fails the test if the line is not one JSON object.
     */
    public static String field(String line, String name) {
        return Json.text(Json.object(line), name);
    }

    public static long number(String line, String name) {
        return Long.parseLong(field(line, name));
    }

    @Override
    public void close() {
        gateway.close();
    }
}
