package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.HttpProxyFake;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.RunningGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request-smuggling table: each ambiguous or malformed request shape sent as raw bytes on its own
 * connection, what the client got back, and what the proxy received (recorded byte for byte by
 * {@link HttpProxyFake}). A shape is either refused before anything reaches the proxy, or forwarded in one form
 * that no proxy can frame differently from the gateway. The table is written to
 * {@code target/http-smuggling.md} and printed.
 */
@ExtendWith(NettyLeaks.class)
class HttpSmugglingTest {
    @TempDir
    static Path dir;
    static HttpProxyFake proxy;
    static RunningGateway gw;
    static final List<String> ROWS = new ArrayList<>();

    static final String H = "Host: deb.example.test\r\n";

    @BeforeAll
    static void start() throws Exception {
        proxy = new HttpProxyFake();
        gw = RunningGateway.start("""
                listeners: [{ name: web, listen: 127.0.0.1:0, peek: http }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp: { proxies: [http://127.0.0.1:%d] }
                rules:
                  - { name: debs, sni: [deb.example.test], action: splice, upstream: corp }
                  - { name: default, action: reject }
                timeouts: { connect: 2s, client_hello: 2s, idle: 1s }
                """.formatted(proxy.port()), dir);
    }

    @AfterAll
    static void stop() throws Exception {
        gw.close();
        proxy.close();
        String table = "| shape | what the client sent | Sluice's answer | what the proxy received |\n"
                + "|---|---|---|---|\n" + String.join("\n", ROWS) + "\n";
        Path out = Path.of("target", "http-smuggling.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
        System.out.println("HTTP smuggling table (" + out.toAbsolutePath() + "):\n" + table);
    }

    static Stream<Arguments> shapes() {
        String big = "X-Filler: " + "a".repeat(1000) + "\r\n";
        return Stream.of(
                // name, request, expected status (0: connection cut), expected proxy request line (null: nothing)
                Arguments.of("Content-Length and Transfer-Encoding", "POST /a HTTP/1.1\r\n" + H
                        + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, null),
                Arguments.of("two different Content-Lengths", "POST /a HTTP/1.1\r\n" + H
                        + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400, null),
                Arguments.of("two equal Content-Lengths", "POST /a HTTP/1.1\r\n" + H
                        + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", 400, null),
                Arguments.of("Content-Length list", "POST /a HTTP/1.1\r\n" + H
                        + "Content-Length: 4, 4\r\n\r\nabcd", 400, null),
                Arguments.of("Content-Length +4", "POST /a HTTP/1.1\r\n" + H
                        + "Content-Length: +4\r\n\r\nabcd", 400, null),
                Arguments.of("Transfer-Encoding: gzip, chunked", "POST /a HTTP/1.1\r\n" + H
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, null),
                Arguments.of("Transfer-Encoding: chunked twice", "POST /a HTTP/1.1\r\n" + H
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, null),
                Arguments.of("Transfer-Encoding: xchunked", "POST /a HTTP/1.1\r\n" + H
                        + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, null),
                Arguments.of("Transfer-Encoding in HTTP/1.0", "POST /a HTTP/1.0\r\n" + H
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, null),
                Arguments.of("space before the colon", "GET /a HTTP/1.1\r\n" + H
                        + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, null),
                Arguments.of("obs-fold in a field", "GET /a HTTP/1.1\r\n" + H
                        + "X-Folded: one\r\n two\r\n\r\n", 200, "GET http://deb.example.test/a HTTP/1.1"),
                Arguments.of("obs-fold in Host", "GET /a HTTP/1.1\r\nHost: deb.example.test\r\n evil.test\r\n\r\n",
                        400, null),
                Arguments.of("bare LF line ends", "GET /a HTTP/1.1\n" + "Host: deb.example.test\n\n", 400, null),
                Arguments.of("bare CR in a field", "GET /a HTTP/1.1\r\n" + H + "X-A: a\rb\r\n\r\n", 400, null),
                Arguments.of("NUL in a field", "GET /a HTTP/1.1\r\n" + H + "X-A: a\0b\r\n\r\n", 400, null),
                Arguments.of("chunk size overflow", "POST /a HTTP/1.1\r\n" + H
                        + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 0,
                        "POST http://deb.example.test/a HTTP/1.1"),
                Arguments.of("a 64 KiB head", "GET /a HTTP/1.1\r\n" + H + big.repeat(64) + "\r\n", 431, null),
                Arguments.of("a 9 KiB request line", "GET /" + "a".repeat(9 * 1024) + " HTTP/1.1\r\n" + H
                        + "\r\n", 414, null),
                Arguments.of("Host with the connection's port", "GET /a HTTP/1.1\r\nHost: deb.example.test:80\r\n"
                        + "\r\n", 200, "GET http://deb.example.test/a HTTP/1.1"),
                Arguments.of("Host with another port", "GET /a HTTP/1.1\r\nHost: deb.example.test:8080\r\n\r\n",
                        400, null),
                Arguments.of("Host with user info", "GET /a HTTP/1.1\r\nHost: me@deb.example.test\r\n\r\n", 400,
                        null),
                Arguments.of("Host an IP literal", "GET /a HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n", 403, null),
                Arguments.of("Host junk", "GET /a HTTP/1.1\r\nHost: deb.example.test/<x>\r\n\r\n", 400, null),
                Arguments.of("two Host fields", "GET /a HTTP/1.1\r\n" + H + "Host: evil.test\r\n\r\n", 400, null),
                Arguments.of("no Host", "GET /a HTTP/1.1\r\n\r\n", 400, null),
                Arguments.of("HTTP/1.0 without Host, destination unknown", "GET /a HTTP/1.0\r\n\r\n", 403, null),
                Arguments.of("absolute form from the client", "GET http://deb.example.test/x HTTP/1.1\r\n"
                        + "Host: evil.test\r\n\r\n", 200, "GET http://deb.example.test/x HTTP/1.1"),
                Arguments.of("absolute form with two Host fields", "GET http://deb.example.test/x HTTP/1.1\r\n" + H
                        + "Host: evil.test\r\n\r\n", 400, null),
                Arguments.of("absolute form to a rejected host", "GET http://evil.test/x HTTP/1.1\r\n" + H
                        + "\r\n", 403, null),
                Arguments.of("CONNECT", "CONNECT deb.example.test:443 HTTP/1.1\r\n" + H + "\r\n", 405, null),
                Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, null),
                Arguments.of("WebSocket upgrade", "GET /ws HTTP/1.1\r\n" + H
                        + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 501, null),
                Arguments.of("h2c upgrade (ignored)", "GET /a HTTP/1.1\r\n" + H
                        + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAA"
                        + "\r\n\r\n", 200, "GET http://deb.example.test/a HTTP/1.1"),
                Arguments.of("Expect: something-else", "GET /a HTTP/1.1\r\n" + H + "Expect: 200-ok\r\n\r\n", 417,
                        null),
                Arguments.of("a proxy's own fields from the client", "GET /a HTTP/1.1\r\n" + H
                        + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\n\r\n", 200,
                        "GET http://deb.example.test/a HTTP/1.1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void eachShapeIsRefusedOrForwardedInOneForm(String shape, String request, int status, String proxied)
            throws Exception {
        int before = proxy.received.size();
        String answer = exchange(request);
        String statusLine = answer.isEmpty() ? "" : answer.substring(0, Math.max(0, answer.indexOf("\r\n")));
        List<HttpProxyFake.Received> got = List.copyOf(proxy.received.subList(before, proxy.received.size()));
        String proxyView = got.isEmpty() ? "nothing" : got.stream().map(r -> "`" + r.head().replace("\r\n", " \u23CE ")
                + "`" + (HttpProxyFake.CUT.equals(r.bodySha256()) ? ", then the connection closed inside the body "
                + "(after " + r.bodyBytes() + " bytes): an unfinished request"
                : r.bodyBytes() > 0 ? " + " + r.bodyBytes() + " body bytes" : "")).collect(Collectors.joining("; "));
        ROWS.add("| " + shape + " | `" + shown(request) + "` | " + (statusLine.isEmpty() ? "connection closed"
                : statusLine) + " | " + proxyView + " |");
        if (status == 0) {
            assertThat(statusLine).as("a cut, no answer").isEmpty();
        } else {
            assertThat(statusLine).startsWith("HTTP/1.1 " + status + " ");
        }
        if (proxied == null) {
            assertThat(got).as("the proxy received nothing").isEmpty();
        } else if (status == 0) {
            assertThat(got).as("at most an unfinished request").allMatch(r -> HttpProxyFake.CUT.equals(r.bodySha256()));
        } else {
            assertThat(got).hasSize(1);
            assertThat(got.get(0).requestLine()).isEqualTo(proxied);
            assertThat(got.get(0).head()).doesNotContain("Proxy-Authorization").doesNotContain("Proxy-Connection")
                    .doesNotContain("Upgrade").doesNotContain("\r\n ").contains("\r\nHost: deb.example.test");
        }
    }

    static String exchange(String request) throws IOException {
        return Clients.exchange(gw.port(), request);
    }

    static String shown(String request) {
        String s = request.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0").replace("|", "\\|");
        return s.length() > 160 ? s.substring(0, 140) + "...(" + request.length() + " bytes)" : s;
    }
}
