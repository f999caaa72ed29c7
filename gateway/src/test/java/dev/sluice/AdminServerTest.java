package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.Json;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The admin listener as an operator and Prometheus meet it: real tunnels through the in-JVM proxy, then
 * {@code /metrics}, {@code /healthz}, {@code /readyz}, {@code /status.json} and the HTTP edge cases, over real
 * loopback sockets. Also checks that every metric the shipped Grafana dashboard queries really exists.
 */
@ExtendWith(NettyLeaks.class)
class AdminServerTest {
    /** Markup a client can put in its server name; it reaches the error text of a bad_hello. */
    static final String HOSTILE = "<img src=x onerror=alert(1)>";
    static final Path DASHBOARD = Path.of("../conf/grafana/sluice-dashboard.json");
    static final int PAYLOAD = 65536;

    @TempDir
    Path dir;
    Origin origin;
    FakeProxy proxy;
    RunningGateway gw;
    Admin admin;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(AdminServerTest::echo);
        proxy = new FakeProxy().route("proxy.golang.org:443", origin.port());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        proxy.close();
        origin.close();
    }

    /** Listener {@code https}, upstream {@code corp} (the FakeProxy), rules {@code go} and {@code blocked}. */
    String config(String adminClients, String moreUpstreams, String moreRules) {
        return """
                listeners:
                  - { name: https, listen: 127.0.0.1:0 }
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [http://127.0.0.1:%d]
                %s
                rules:
                  - { name: go, sni: [.golang.org], action: splice, upstream: corp }
                  - { name: blocked, sni: [.blocked.example.test], action: reject }
                %s
                timeouts: { client_hello: 2s, connect: 2s, idle: 15m }
                admin: { listen: 127.0.0.1:0, clients: [%s] }
                """.formatted(proxy.port(), moreUpstreams, moreRules, adminClients);
    }

    void start(String yaml) throws Exception {
        gw = RunningGateway.start(yaml, dir);
        admin = new Admin(gw.gateway.adminAddress());
    }

    void start() throws Exception {
        start(config("127.0.0.1/32", "", ""));
    }

    // ---- /metrics ----

    @Test
    void metricsAfterRealTrafficCountTunnelsBytesAndLatencies() throws Exception {
        start();
        threeTunnels();
        Metrics m = awaitScrape(s -> s.sum("sluice_tunnels_total") == 3);

        assertThat(m.contentType).startsWith("text/plain; version=0.0.4");
        assertThat(m.value("sluice_tunnels_total", "listener", "https", "rule", "go", "action", "splice",
                "outcome", "ok")).isEqualTo(1.0);
        assertThat(m.value("sluice_tunnels_total", "listener", "https", "rule", "blocked", "action", "reject",
                "outcome", "rejected")).isEqualTo(1.0);
        assertThat(m.value("sluice_tunnels_total", "listener", "https", "outcome", "bad_hello")).isEqualTo(1.0);
        assertThat(m.value("sluice_bytes_total", "direction", "up")).isGreaterThanOrEqualTo(PAYLOAD);
        assertThat(m.value("sluice_bytes_total", "direction", "down")).isGreaterThanOrEqualTo(PAYLOAD);
        assertThat(m.value("sluice_client_hello_seconds_count"))
                .as("the ClientHellos that parsed (ok, rejected); the bad_hello counts only as an outcome")
                .isEqualTo(2);
        String proxyLabel = "127.0.0.1:" + proxy.port();
        assertThat(m.value("sluice_upstream_connect_seconds_count", "upstream", "corp", "proxy", proxyLabel))
                .isGreaterThanOrEqualTo(1);
        assertThat(m.value("sluice_upstream_proxy_up", "upstream", "corp", "proxy", proxyLabel)).isEqualTo(1.0);
        assertThat(m.value("sluice_tunnels_active")).isEqualTo(0.0);
        assertThat(m.families).contains("sluice_build_info", "jvm_memory_used_bytes", "process_open_fds",
                "process_cpu_seconds_total");

        List<String> lines = m.text.lines().toList();
        int lastSluice = lastIndex(lines, l -> metricName(l).startsWith("sluice_"));
        int firstJvm = firstIndex(lines, l -> metricName(l).startsWith("jvm_"));
        assertThat(firstJvm).as("a jvm_ line").isPositive();
        assertThat(lastSluice).as("Sluice's own metrics come before the JVM's").isLessThan(firstJvm);
    }

    @Test
    void manyDifferentServerNamesAndClientsAddNoSeries() throws Exception {
        List<String> names = IntStream.range(0, 31).mapToObj(i -> "n" + i + ".golang.org").toList();
        try (Origin raw = Origin.raw(AdminServerTest::answerOneHello)) {
            names.forEach(n -> proxy.route(n + ":443", raw.port()));
            start();

            helloFrom("127.0.0.2", names.get(0));
            Metrics afterOne = awaitScrape(s -> s.sum("sluice_tunnels_total") == 1);
            for (String name : names.subList(1, names.size())) {
                helloFrom("127.0.0.2", name);
            }
            Metrics afterMany = awaitScrape(s -> s.sum("sluice_tunnels_total") == names.size());

            assertThat(afterMany.value("sluice_tunnels_total", "rule", "go", "outcome", "ok"))
                    .isEqualTo(names.size());
            // the JVM's own series come and go with its GCs and compilations, not with traffic: left out
            assertThat(afterMany.series().stream().filter(x -> !x.startsWith("jvm_")))
                    .as("the same series, only their values grew")
                    .containsExactlyInAnyOrderElementsOf(afterOne.series().stream()
                            .filter(x -> !x.startsWith("jvm_")).toList());
            assertThat(afterMany.sluiceLines()).isEqualTo(afterOne.sluiceLines());
            for (String name : names) {
                assertThat(afterMany.text).as("an SNI is never a label").doesNotContain(name);
            }
            assertThat(afterMany.text).as("a client address is never a label").doesNotContain("127.0.0.2");
        }
    }

    @Test
    void errorCountersStartAtZeroSoAnAlertSeesTheFirstError() throws Exception {
        // increase(x[5m]) > 0 (the README's SluiceOutOfDescriptors alert) never fires when x first appears at 1
        start();
        Metrics fresh = admin.scrape();
        assertThat(fresh.value("sluice_accept_errors_total", "listener", "https")).isEqualTo(0.0);
        assertThat(fresh.value("sluice_upstream_connect_errors_total", "upstream", "corp",
                "proxy", "127.0.0.1:" + proxy.port())).isEqualTo(0.0);
    }

    // ---- /healthz and /readyz ----

    /** {@link #config} plus upstream {@code doomed}, whose only proxy is a closed port, and its rule. */
    String withDoomedUpstream() throws IOException {
        return config("127.0.0.1/32", """
                  doomed:
                    proxies: [http://127.0.0.1:%d]
                    health: { fall: 1 }
                """.formatted(TestServer.closedPort()),
                "  - { name: doomed, sni: [.doomed.example.test], action: splice, upstream: doomed }");
    }

    @Test
    void healthzTurns503WhenTheOnlyProxyOfAnUpstreamInUseIsDown() throws Exception {
        start(withDoomedUpstream());
        assertThat(admin.get("/healthz")).isEqualTo(new Response(200, "ok\n"));

        sendHello("x.doomed.example.test");
        assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("connect_error");

        Response health = await().atMost(Duration.ofSeconds(5)).until(() -> admin.get("/healthz"),
                r -> r.status() != 200);
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body()).as("one line naming the upstream")
                .startsWith("upstream doomed: no proxy in service").endsWith("\n").hasLineCount(1);
        assertThat(admin.get("/readyz")).as("cannot serve that upstream: not ready, for keepalived")
                .isEqualTo(health);
        assertThat(admin.scrape().value("sluice_upstream_proxy_up", "upstream", "doomed")).isEqualTo(0.0);
    }

    @Test
    void readyzTurns503WhileAShutdownDrainsOpenTunnels() throws Exception {
        start();
        assertThat(admin.get("/readyz")).isEqualTo(new Response(200, "ok\n"));
        Thread stopping = new Thread(() -> gw.gateway.stop(Duration.ofSeconds(20)), "stop");
        try (SSLSocket open = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            exchange(open, 100);
            stopping.start();
            Response ready = await().atMost(Duration.ofSeconds(5)).until(() -> admin.get("/readyz"),
                    r -> r.status() != 200);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).startsWith("draining");
            assertThat(admin.scrape().value("sluice_draining")).isEqualTo(1.0);
            exchange(open, 100); // the open tunnel goes on while draining
        }
        stopping.join(5000);
        assertThat(stopping.isAlive()).as("the drain ends when the last tunnel closes").isFalse();
        assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
    }

    // ---- HTTP edges ----

    @Test
    void unknownPathsWrongMethodsHeadAndTheRootRedirect() throws Exception {
        start();
        Response notFound = admin.send("GET", "/nope");
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.body()).contains("/status");

        HttpResponse<String> post = admin.exchange("POST", "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

        HttpResponse<String> head = admin.exchange("HEAD", "/status");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(head.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
        assertThat(head.headers().firstValueAsLong("Content-Length").orElse(0)).as("as long as the GET's body")
                .isPositive();

        HttpResponse<String> root = admin.exchange("GET", "/");
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValue("/status");
    }

    @Test
    void anAddressOutsideAdminClientsIsRefusedWith403NamingIt() throws Exception {
        start(config("10.9.9.9/32", "", ""));
        for (String path : List.of("/metrics", "/status", "/status.json", "/healthz")) {
            Response r = admin.get(path);
            assertThat(r.status()).as(path).isEqualTo(403);
            assertThat(r.body()).as(path).contains("127.0.0.1").doesNotContain("sluice_");
        }
    }

    // ---- /status.json ----

    @Test
    void statusJsonShowsListenersProxiesRuleHitsAndEscapesHostileText() throws Exception {
        start();
        threeTunnels();
        String json = await().atMost(Duration.ofSeconds(5)).until(() -> admin.get("/status.json").body(),
                j -> !badHelloErrors(Json.object(j)).isEmpty());

        JsonNode status = Json.object(json);
        assertThat(status.get("listeners").get(0).get("name").stringValue()).isEqualTo("https");
        JsonNode proxy0 = status.get("upstreams").get(0).get("proxies").get(0);
        assertThat(proxy0.get("url").stringValue()).isEqualTo("http://127.0.0.1:" + proxy.port());
        assertThat(proxy0.get("up").booleanValue()).isTrue();
        assertThat(ruleHits(status, "go")).isEqualTo(1);
        assertThat(ruleHits(status, "blocked")).isEqualTo(1);
        assertThat(json).as("no raw markup anywhere in the JSON").doesNotContain("<").doesNotContain(">");
        List<String> errors = badHelloErrors(status);
        assertThat(errors).as(json).hasSize(1);
        assertThat(errors.get(0)).contains("server name \"" + HOSTILE + "\"");
    }

    // ---- /status (what a browser does with it: StatusPageBrowserTest) ----

    @Test
    void statusPageEscapesHostileTextAndForbidsScripts() throws Exception {
        start();
        threeTunnels();
        HttpResponse<String> page = await().atMost(Duration.ofSeconds(5)).until(() -> admin.exchange("GET", "/status"),
                r -> r.body().contains("bad_hello"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'").doesNotContain("script-src"));
        assertThat(page.body()).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContainIgnoringCase("<img")
                .doesNotContainIgnoringCase("<script");
        assertThat(page.body()).contains("<table id=\"listeners\">", "<table id=\"upstream-corp\">",
                "<table id=\"rules\">", "<table id=\"errors\">");
    }

    // ---- the shipped Grafana dashboard ----

    @Test
    void everyMetricTheGrafanaDashboardQueriesExists() throws Exception {
        assertThat(DASHBOARD).as("the shipped dashboard (run from the gateway module)").exists();
        String dashboard = Files.readString(DASHBOARD);
        start(withDoomedUpstream());
        threeTunnels();
        sendHello("x.doomed.example.test"); // a connect error too
        Metrics m = awaitScrape(s -> s.sum("sluice_tunnels_total") == 4);

        Set<String> queried = new TreeSet<>();
        for (JsonNode expr : Json.parse(dashboard).findValues("expr")) {
            Matcher id = Pattern.compile("(?<![A-Za-z0-9_:])(?:sluice|jvm|process)_[A-Za-z0-9_]*")
                    .matcher(expr.stringValue());
            while (id.find()) {
                queried.add(id.group().replaceFirst("_(bucket|sum|count)$", ""));
            }
        }
        assertThat(queried).as("metrics the dashboard queries").contains("sluice_tunnels_total");
        assertThat(m.families).as("families in a real scrape").containsAll(queried);
    }

    // ---- traffic ----

    /** One ok tunnel (PAYLOAD bytes each way), one refused by rule, one with markup as its server name. */
    void threeTunnels() throws Exception {
        try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            exchange(tls, PAYLOAD);
        }
        sendHello("x.blocked.example.test");
        sendHello(HOSTILE);
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.accessLog.size() >= 3);
        assertThat(gw.accessLog.stream().map(l -> field(l, "outcome")))
                .containsExactlyInAnyOrder("ok", "rejected", "bad_hello");
    }

    /** Sends n bytes through an echoing tunnel and checks they come back. */
    static void exchange(SSLSocket tls, int n) throws Exception {
        String sent = Clients.send(tls.getOutputStream(), n, n);
        assertThat(Clients.receive(tls.getInputStream(), n)).isEqualTo(sent);
    }

    void sendHello(String serverName) throws Exception {
        sendHello(gw.port(), serverName);
    }

    /** A hand-made ClientHello naming {@code serverName}; reads until the gateway closes or resets. */
    static void sendHello(int port, String serverName) throws Exception {
        try (Socket s = Clients.tcp(port)) {
            s.getOutputStream().write(Hellos.withServerName(serverName));
            s.getOutputStream().flush();
            try {
                s.getInputStream().readAllBytes();
            } catch (IOException e) {
                // reset: the refusal
            }
        }
    }

    /** A ClientHello from another loopback address, answered by {@link #answerOneHello}. */
    void helloFrom(String clientAddress, String serverName) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(clientAddress), 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gw.port()), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(Hellos.withServerName(serverName));
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
        }
    }

    static void echo(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[16384];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            out.flush();
        }
    }

    /** A raw origin: reads one TLS record (the hello), answers "pong", waits for the client to finish. */
    static void answerOneHello(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = new byte[5];
        in.readFully(header);
        in.skipNBytes(((header[3] & 0xff) << 8) | (header[4] & 0xff));
        s.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        in.readAllBytes();
    }

    Metrics awaitScrape(Predicate<Metrics> until) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> admin.scrape(), until);
    }

    // ---- reading the answers ----

    static long ruleHits(JsonNode status, String rule) {
        for (JsonNode r : status.get("rules")) {
            if (rule.equals(r.get("name").stringValue())) {
                return r.get("hits").longValue();
            }
        }
        throw new AssertionError("rule " + rule + " in " + status);
    }

    /** The {@code error} of each {@code recent_errors} entry whose outcome is bad_hello. */
    static List<String> badHelloErrors(JsonNode status) {
        List<String> errors = new ArrayList<>();
        for (JsonNode e : status.get("recent_errors")) {
            if ("bad_hello".equals(Json.text(e, "outcome"))) {
                errors.add(Json.text(e, "error"));
            }
        }
        return errors;
    }

    /** The metric a line of the text format is about ({@code # HELP name ...}, {@code # TYPE name ...} or a sample). */
    static String metricName(String line) {
        String s = line.startsWith("# HELP ") || line.startsWith("# TYPE ") ? line.substring(7) : line;
        Matcher m = Pattern.compile("^[A-Za-z_:][A-Za-z0-9_:]*").matcher(s);
        return m.find() ? m.group() : "";
    }

    static int firstIndex(List<String> lines, Predicate<String> p) {
        return IntStream.range(0, lines.size()).filter(i -> p.test(lines.get(i))).findFirst().orElse(-1);
    }

    static int lastIndex(List<String> lines, Predicate<String> p) {
        return IntStream.range(0, lines.size()).filter(i -> p.test(lines.get(i))).max().orElse(-1);
    }

    record Response(int status, String body) {
    }

    /** HTTP/1.1 to the admin listener. */
    static final class Admin {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
        private final String base;

        Admin(InetSocketAddress address) {
            assertThat(address).as("the admin listener is bound").isNotNull();
            this.base = "http://127.0.0.1:" + address.getPort();
        }

        HttpResponse<String> exchange(String method, String path) throws Exception {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build();
            return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }

        Response send(String method, String path) throws Exception {
            HttpResponse<String> r = exchange(method, path);
            return new Response(r.statusCode(), r.body());
        }

        Response get(String path) throws Exception {
            return send("GET", path);
        }

        Metrics scrape() throws Exception {
            HttpResponse<String> r = exchange("GET", "/metrics");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return Metrics.parse(r.headers().firstValue("Content-Type").orElse(""), r.body());
        }
    }
}
