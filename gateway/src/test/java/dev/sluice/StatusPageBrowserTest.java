package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page as a person sees it: Debian's headless Chromium loads {@code /status} from a gateway that has
 * carried real traffic, and the test reads the DOM Chromium built (not the HTML Sluice sent) and takes a
 * screenshot into {@code target/}. A server name full of markup must show up as text, never as an element.
 */
class StatusPageBrowserTest {
    static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(60);
    static final Path SCREENSHOT = Path.of("target", "status-page.png").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void aPersonSeesTheGatewayItsTrafficAndHostileTextAsText() throws Exception {
        Path chromium = chromium();
        try (Origin origin = Origin.tls(AdminServerTest::echo);
             FakeProxy proxy = new FakeProxy().route("proxy.golang.org:443", origin.port());
             RunningGateway gw = RunningGateway.start(config(proxy.port()), dir)) {
            try (SSLSocket done = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
                AdminServerTest.exchange(done, 10_000);
            }
            AdminServerTest.sendHello(gw.port(), AdminServerTest.HOSTILE);
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.accessLog.size() == 2);
            assertThat(gw.accessLog.stream().map(l -> field(l, "outcome"))).containsExactlyInAnyOrder("ok", "bad_hello");

            try (SSLSocket open = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
                AdminServerTest.exchange(open, 30_000); // still open while the browser looks
                String url = "http://127.0.0.1:" + gw.gateway.adminAddress().getPort() + "/status";

                String dom = run(chromium, "--dump-dom", url);
                assertWhatAPersonSees(dom, proxy.port(), gw.port());

                Files.deleteIfExists(SCREENSHOT);
                run(chromium, "--screenshot=" + SCREENSHOT, "--window-size=1280,1600", url);
                assertThat(SCREENSHOT).exists();
                assertThat(Files.size(SCREENSHOT)).as("a PNG of the rendered page").isGreaterThan(10 * 1024);
                System.out.println("status page screenshot: " + SCREENSHOT);
            }
        }
    }

    static void assertWhatAPersonSees(String dom, int proxyPort, int listenerPort) {
        assertThat(text(first(dom, "<h1[^>]*>(.*?)</h1>"))).isEqualTo("Sluice " + Version.get());
        assertThat(text(first(dom, "<b id=\"state\"[^>]*>(.*?)</b>"))).isEqualTo("serving");
        assertThat(text(first(dom, "<b id=\"health\"[^>]*>(.*?)</b>"))).isEqualTo("ok");

        assertThat(table(dom, "listeners")).anySatisfy(row -> assertThat(row)
                .startsWith("https", "127.0.0.1:" + listenerPort).endsWith("yes"));
        assertThat(table(dom, "upstream-corp")).anySatisfy(row -> assertThat(row)
                .startsWith("http://127.0.0.1:" + proxyPort, "up"));
        assertThat(table(dom, "rules")).as("hits count connections that ended")
                .contains(List.of("go", "splice", "corp", "1"), List.of("blocked", "reject", "", "0"));
        assertThat(table(dom, "tunnels")).as("the open tunnel").anySatisfy(row -> {
            assertThat(row.get(0)).as("client").startsWith("127.0.0.1:");
            assertThat(row.subList(1, 5)).containsExactly("proxy.golang.org", "https", "go", "127.0.0.1:" + proxyPort);
        });

        assertThat(Pattern.compile("<img\\b", Pattern.CASE_INSENSITIVE).matcher(dom).find())
                .as("no <img> element made it into the page").isFalse();
        assertThat(dom).as("the markup is shown as text").contains("&lt;img src=x onerror=alert(1)&gt;");
        assertThat(table(dom, "errors")).anySatisfy(row -> {
            assertThat(row.get(3)).isEqualTo("bad_hello");
            assertThat(row.get(4)).contains(AdminServerTest.HOSTILE);
        });
    }

    static String config(int proxyPort) {
        return """
                listeners:
                  - { name: https, listen: 127.0.0.1:0 }
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [http://127.0.0.1:%d]
                rules:
                  - { name: go, sni: [.golang.org], action: splice, upstream: corp }
                  - { name: blocked, sni: [.blocked.example.test], action: reject }
                timeouts: { client_hello: 2s, connect: 2s, idle: 15m }
                admin: { listen: 127.0.0.1:0 }
                """.formatted(proxyPort);
    }

    // ---- the browser ----

    /** Chromium on PATH; in CI its absence fails the build, elsewhere it skips this test. */
    static Path chromium() {
        return dev.sluice.testing.Tools.require("chromium", "chromium is not on PATH");
    }

    /** Runs headless Chromium with a fresh profile; returns its stdout. Its stderr is noise here and ignored. */
    String run(Path chromium, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-proxy-server", "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile")));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(BROWSER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                fail("chromium did not finish within " + BROWSER_TIMEOUT + ": " + cmd);
            }
            assertThat(p.exitValue()).as("chromium's exit code: " + cmd).isZero();
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    // ---- reading the DOM ----

    static String first(String dom, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as(regex + " in\n" + dom).isTrue();
        return m.group(1);
    }

    /** The text of each cell, row by row (the heading row first), of the table with this id. */
    static List<List<String>> table(String dom, String id) {
        String table = first(dom, "<table id=\"" + Pattern.quote(id) + "\"[^>]*>(.*?)</table>");
        List<List<String>> rows = new ArrayList<>();
        Matcher tr = Pattern.compile("<tr[^>]*>(.*?)</tr>", Pattern.DOTALL).matcher(table);
        while (tr.find()) {
            List<String> cells = new ArrayList<>();
            Matcher td = Pattern.compile("<t[dh][^>]*>(.*?)</t[dh]>", Pattern.DOTALL).matcher(tr.group(1));
            while (td.find()) {
                cells.add(text(td.group(1)));
            }
            rows.add(cells);
        }
        return rows;
    }

    /** What a person reads: tags dropped, entities decoded. */
    static String text(String html) {
        return html.replaceAll("<[^>]*>", "").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&#39;", "'").replace("&nbsp;", " ").replace("&amp;", "&").strip();
    }
}
