package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proxy health tells the truth: what a proxy says about a destination never takes it out of service (a client
 * must not be able to do that by asking for names that do not resolve), the gateway's own exhaustion is never
 * blamed on a proxy, and a tunnel's error names the most telling of its attempts.
 */
@ExtendWith(NettyLeaks.class)
class ProxyHealthTruthTest {
    @TempDir
    Path dir;
    RunningGateway gw;

    @AfterEach
    void tearDown() {
        if (gw != null) {
            gw.close();
        }
    }

    static String config(String proxies, String extra) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                %s
                rules: [{ name: all, sni: [.example.com, proxy.golang.org], action: splice, upstream: corp }]
                timeouts: { connect: 2s, client_hello: 2s }
                admin: { listen: 127.0.0.1:0 }
                """.formatted(proxies, extra.indent(4));
    }

    static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    void hello(String name) throws IOException {
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(Hellos.withServerName(name));
            s.getInputStream().read(); // the reset (or EOF)
        } catch (IOException e) {
            // reset: as expected
        }
    }

    String adminGet(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gw.gateway.adminAddress().getPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "500 Internal Server Error, proxy_error",
        "502 Bad Gateway, proxy_error",
        "503 Service Unavailable, proxy_error",
        "504 Gateway Timeout, proxy_error",
        "404 Not Found, proxy_error",
        "403 Forbidden, proxy_denied"})
    void aFloodOfNamesTheProxyCannotReachLeavesItInService(String status, String outcome) throws Exception {
        try (FakeProxy squid = new FakeProxy().answer(status)) {
            gw = RunningGateway.start(config(url(squid.port()), "health: { fall: 3 }"), dir);
            for (int i = 0; i < 12; i++) {
                hello("no-such-host-" + i + ".example.com");
            }
            List<String> lines = gw.awaitLines(12);
            assertThat(lines).allSatisfy(l -> {
                assertThat(field(l, "outcome")).isEqualTo(outcome);
                assertThat(field(l, "error")).isEqualTo("127.0.0.1:" + squid.port() + ": " + status);
            });
            assertThat(gw.gateway.compiled().upstreams().get("corp").proxies().get(0).isUp()).isTrue();
            assertThat(adminGet("/healthz")).isEqualTo("200 ok");
            assertThat(Metrics.scrape(gw.gateway.adminAddress()).value("sluice_upstream_proxy_up",
                    "proxy", "127.0.0.1:" + squid.port(), "upstream", "corp")).isEqualTo(1.0);
        }
    }

    @Test
    void theTunnelsErrorIsTheMostTellingAttemptsInEitherOrder() throws Exception {
        int dead = TestServer.closedPort();
        try (FakeProxy squid = new FakeProxy().answer("500 Internal Server Error")) {
            for (String order : List.of(url(dead) + ", " + url(squid.port()), url(squid.port()) + ", " + url(dead))) {
                gw = RunningGateway.start(config(order, "health: { fall: 100 }"), dir);
                hello("no-such-host.example.com");
                String line = gw.awaitLine(0);
                assertThat(field(line, "outcome")).as(order).isEqualTo("proxy_error");
                assertThat(field(line, "error")).as("an answer beats a refused connection: " + order)
                        .isEqualTo("127.0.0.1:" + squid.port() + ": 500 Internal Server Error");
                assertThat(line).contains("\"via\":\"127.0.0.1:" + dead + "\",\"error\":\"Connection refused\"");
                gw.close();
                gw = null;
            }
        }
    }

    @Test
    void aHealthProbeStillCountsAnErrorForTheTargetItVouchesFor() throws Exception {
        try (FakeProxy squid = new FakeProxy().answer("503 Service Unavailable")) {
            gw = RunningGateway.start(config(url(squid.port()),
                    "health: { target: proxy.golang.org:443, interval: 200ms, fall: 2 }"), dir);
            await().atMost(Duration.ofSeconds(10)).until(() -> adminGet("/healthz").startsWith("503"));
            assertThat(adminGet("/healthz")).startsWith("503 upstream corp: no proxy in service");
        }
    }

    /**
     * The real process with 256 file descriptors, filled with idle client connections until it cannot accept
     * more; then a ClientHello on one it did accept: the dial cannot make a socket. That is the gateway's own
     * limit, said so, and the proxy (fall: 1) stays in service.
     */
    @Test
    void runningOutOfDescriptorsIsTheGatewaysOwnLimitNotTheProxys() throws Exception {
        try (Origin origin = Origin.tls(Origin.COMMANDS);
                FakeProxy squid = new FakeProxy().route("proxy.golang.org:443", origin.port())) {
            int admin = GatewayProcess.freePort();
            int listen = GatewayProcess.freePort();
            Path yaml = dir.resolve("gateway.yaml");
            Files.writeString(yaml, config(url(squid.port()), "health: { fall: 1 }")
                    .replace("127.0.0.1:0 }]", "127.0.0.1:" + listen + " }]")
                    .replace("admin: { listen: 127.0.0.1:0 }", "admin: { listen: 127.0.0.1:" + admin + " }")
                    .replace("client_hello: 2s", "client_hello: 60s"));
            List<Socket> idle = new ArrayList<>();
            try (GatewayProcess p = GatewayProcess.start(yaml, Map.of(), GatewayProcess.UNIT_JVM, 256)) {
                p.awaitErr(l -> l.contains("listener https bound"), Duration.ofSeconds(20));
                while (p.err.stream().noneMatch(l -> l.contains("accept failed")) && idle.size() < 400) {
                    idle.add(new Socket("127.0.0.1", listen));
                    Thread.sleep(2);
                }
                p.awaitErr(l -> l.contains("accept failed"), Duration.ofSeconds(5));
                idle.get(0).getOutputStream().write(Hellos.withServerName("proxy.golang.org"));
                String line = p.awaitOut(l -> l.contains("\"outcome\""), Duration.ofSeconds(10));
                assertThat(field(line, "outcome")).isEqualTo("connect_error");
                assertThat(field(line, "error")).isEqualTo("127.0.0.1:" + squid.port() + ": too many open files (the "
                        + "gateway's own limit: raise LimitNOFILE or lower limits.max_connections)");
                for (Socket s : idle) {
                    s.close();
                }
                idle.clear();
                await().atMost(Duration.ofSeconds(10)).until(() -> p.openFds() < 200);
                assertThat(GatewayProcess.get(admin, "/healthz").body()).as("the proxy was not blamed").isEqualTo("ok\n");
                assertThat(p.err).noneMatch(l -> l.contains("taken out of service"));
                assertThat(p.err).noneMatch(l -> l.contains("Exception"));
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }
}
