package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.HttpProxyFake;
import dev.sluice.testing.HttpProxyFake.Answer;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain HTTP through a {@code peek: http} listener over real sockets: a raw client (so every byte sent is the
 * test's), the gateway, and an in-JVM proxy that records exactly what it received. What the client gets back,
 * what the proxy got (absolute form, fields, bodies by SHA-256), and the access log's request lines.
 */
@ExtendWith(NettyLeaks.class)
class PlainHttpTest {
    @TempDir
    Path dir;
    HttpProxyFake proxy;
    RunningGateway gw;

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /**
     * The gateway with {@code idle: 30s}: longer than a socket's read timeout here, so every exchange that ends
     * proves the connection was closed for its own reason (the client's FIN, an answer that ends it).
     */
    void start(String upstreamExtra) throws Exception {
        start(upstreamExtra, "30s");
    }

    void start(String upstreamExtra, String idle) throws Exception {
        proxy = new HttpProxyFake();
        start(upstreamExtra, idle, "http://127.0.0.1:" + proxy.port());
    }

    void start(String upstreamExtra, String idle, String proxyUrl) throws Exception {
        gw = RunningGateway.start("""
                listeners: [{ name: web, listen: 127.0.0.1:0, peek: http }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                %s
                rules:
                  - { name: debs, sni: [deb.example.test, .mirror.test], action: splice, upstream: corp }
                  - { name: default, action: reject }
                timeouts: { connect: 2s, client_hello: 2s, idle: %s }
                """.formatted(proxyUrl, upstreamExtra.indent(4), idle), dir);
    }

    /** {@code request} on a new connection, half-closed; all the gateway answered. */
    String exchange(String request) throws IOException {
        return Clients.exchange(gw.port(), request);
    }

    @Test
    void aRequestGoesToTheProxyInAbsoluteFormByName() throws Exception {
        start("");
        String answer = exchange("GET /dists/bookworm/InRelease?x=1 HTTP/1.1\r\nHost: deb.example.test\r\n"
                + "User-Agent: apt\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n")
                .contains("proxied GET http://deb.example.test/dists/bookworm/InRelease?x=1 HTTP/1.1");
        HttpProxyFake.Received r = proxy.received.get(0);
        assertThat(r.requestLine()).isEqualTo("GET http://deb.example.test/dists/bookworm/InRelease?x=1 HTTP/1.1");
        assertThat(r.field("Host")).isEqualTo("deb.example.test");
        assertThat(r.field("User-Agent")).isEqualTo("apt");
        assertThat(r.field("Connection")).isNull(); // hop-by-hop: not passed on
        String line = gw.awaitLine(l -> l.contains("\"method\""));
        assertThat(field(line, "method")).isEqualTo("GET");
        assertThat(field(line, "host")).isEqualTo("deb.example.test");
        assertThat(field(line, "path")).isEqualTo("/dists/bookworm/InRelease?x=1");
        assertThat(field(line, "status")).isEqualTo("200");
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(field(line, "rule")).isEqualTo("debs");
        String conn = gw.awaitLine(l -> !l.contains("\"method\""));
        assertThat(field(conn, "name")).isEqualTo("deb.example.test");
        assertThat(field(conn, "name_from")).isEqualTo("host");
        assertThat(field(conn, "outcome")).isEqualTo("ok");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneProxyConnection() throws Exception {
        start("");
        StringBuilder req = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            req.append("GET /f").append(i).append(" HTTP/1.1\r\nHost: a.mirror.test\r\n\r\n");
        }
        req.append("GET /last HTTP/1.1\r\nHost: a.mirror.test\r\nConnection: close\r\n\r\n");
        String answer = exchange(req.toString());
        int at = 0;
        for (String path : new String[] {"/f0", "/f1", "/f2", "/f3", "/f4", "/last"}) {
            int i = answer.indexOf("proxied GET http://a.mirror.test" + path + " HTTP/1.1", at);
            assertThat(i).as("answer to %s after the previous one", path).isGreaterThan(at);
            at = i;
        }
        assertThat(proxy.received).hasSize(6).allMatch(r -> r.connection() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> gw.accessLog.stream().filter(l -> l.contains("\"method\""))
                .count() == 6);
        assertThat(gw.accessLog).filteredOn(l -> l.contains("\"method\"")).as("each request names its proxy")
                .allMatch(l -> ("127.0.0.1:" + proxy.port()).equals(field(l, "proxy")));
    }

    @Test
    void bodiesStreamBothWaysChunkedAndByLength() throws Exception {
        start("");
        byte[] up = new byte[6 * 1024 * 1024 + 123];
        new Random(1).nextBytes(up);
        byte[] down = new byte[9 * 1024 * 1024 + 7];
        new Random(2).nextBytes(down);
        proxy.respond(r -> {
            byte[] head = ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Got: " + r.bodyBytes() + " "
                    + r.bodySha256() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(head);
            try {
                writeChunked(b, down, 100_000);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new Answer(b.toByteArray(), false);
        });
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gw.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            // answers are read while the requests are written, as a pipelining client must
            java.util.concurrent.CompletableFuture<Void> reader = java.util.concurrent.CompletableFuture.runAsync(
                    () -> {
                        try {
                            InputStream in = s.getInputStream();
                            for (int i = 0; i < 2; i++) {
                                String head = head(in);
                                assertThat(head).startsWith("HTTP/1.1 200 OK")
                                        .contains("X-Got: " + up.length + " " + sha(up));
                                assertThat(sha(chunked(in))).isEqualTo(sha(down));
                            }
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            // a chunked upload, then one by length on the same connection
            out.write("POST /upload HTTP/1.1\r\nHost: deb.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            writeChunked(out, up, 70_000);
            out.write(("PUT /upload2 HTTP/1.1\r\nHost: deb.example.test\r\nContent-Length: " + up.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(up);
            out.flush();
            reader.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(proxy.received).hasSize(2);
        assertThat(proxy.received.get(0).field("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(proxy.received.get(1).field("Content-Length")).isEqualTo(String.valueOf(up.length));
    }

    @Test
    void aRejectedHostGets403AndTheProxySeesNothing() throws Exception {
        start("");
        String answer = exchange("GET / HTTP/1.1\r\nHost: blocked.example.test\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 403 Forbidden\r\n").contains("Content-Type: text/plain")
                .contains("rule 'default' rejects blocked.example.test");
        assertThat(proxy.received).isEmpty();
        String line = gw.awaitLine(l -> l.contains("\"method\""));
        assertThat(field(line, "status")).isEqualTo("403");
        assertThat(field(line, "outcome")).isEqualTo("rejected");
    }

    @Test
    void aHostChangeOnAKeptConnectionIsRoutedAgain() throws Exception {
        start("");
        String answer = exchange("GET /1 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: blocked.example.test\r\n\r\n");
        assertThat(answer).contains("proxied GET http://deb.example.test/1 HTTP/1.1")
                .contains("HTTP/1.1 403 Forbidden").doesNotContain("blocked.example.test/2");
        assertThat(proxy.received).hasSize(1);
    }

    @Test
    void aDrainEndsAnIdleKeptConnectionAtOnce() throws Exception {
        start("");
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gw.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /1 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            assertThat(head(in)).startsWith("HTTP/1.1 200 OK");
            long t0 = System.nanoTime();
            Thread stopper = new Thread(() -> gw.gateway.stop(Duration.ofSeconds(20)));
            stopper.start();
            // the rest of the first answer, then the end: the kept connection is not held for the drain's 20 s
            byte[] rest = in.readAllBytes();
            assertThat(new String(rest, StandardCharsets.ISO_8859_1)).contains("proxied GET http://deb.example.test/1");
            stopper.join(10_000);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aDeadProxyIs502() throws Exception {
        // on 127.0.0.2, whose connections come from that address, never from the closed port itself: a connect to a
        // closed ephemeral port on 127.0.0.1 can, rarely, pick that very port as its source and connect to itself
        proxy = new HttpProxyFake();
        start("", "30s", "http://127.0.0.2:" + TestServer.closedPort());
        String answer = exchange("GET / HTTP/1.1\r\nHost: deb.example.test\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 502 Bad Gateway\r\n").contains("no proxy of upstream corp");
    }

    @Test
    void aProxyThatNeverAnswersIs504() throws Exception {
        start("", "3s");
        proxy.respond(r -> {
            try {
                Thread.sleep(6_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        });
        String answer = exchange("GET / HTTP/1.1\r\nHost: deb.example.test\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 504 Gateway Timeout\r\n").contains("no answer from the proxy");
    }

    @Test
    void anAnswerWithoutLengthEndsTheConnection() throws Exception {
        start("");
        proxy.respond(r -> Answer.of("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"));
        String answer = exchange("GET /1 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("Connection: close").endsWith("until the end");
        assertThat(proxy.received).hasSize(1);
    }

    @Test
    void headAnd204And304HaveNoBodyAndTheConnectionGoesOn() throws Exception {
        start("");
        proxy.respond(r -> Answer.of(r.requestLine().startsWith("HEAD")
                ? "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                : r.requestLine().contains("/204") ? "HTTP/1.1 204 No Content\r\n\r\n"
                : "HTTP/1.1 304 Not Modified\r\nContent-Length: 77\r\n\r\n"));
        String answer = exchange("HEAD /big HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                + "GET /204 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                + "GET /304 HTTP/1.1\r\nHost: deb.example.test\r\nConnection: close\r\n\r\n");
        assertThat(answer.split("HTTP/1.1 ", -1)).hasSize(4);
        assertThat(answer).contains("200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 304 Not Modified\r\n");
    }

    @Test
    void expect100ContinueGetsTheProxysInterimAnswer() throws Exception {
        start("");
        proxy.respond(r -> Answer.of("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
        String answer = exchange("PUT /x HTTP/1.1\r\nHost: deb.example.test\r\nExpect: 100-continue\r\n"
                + "Content-Length: 5\r\n\r\nhello");
        assertThat(answer).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created");
        // and the same to an HTTP/1.0 client, which knows no 1xx
        String old = exchange("PUT /x HTTP/1.0\r\nHost: deb.example.test\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(old).startsWith("HTTP/1.0 201 Created");
        assertThat(proxy.received.get(0).field("Expect")).isEqualTo("100-continue");
        assertThat(proxy.received.get(0).bodyBytes()).isEqualTo(5);
    }

    @Test
    void basicCredentialsGoWithEveryRequest() throws Exception {
        Path pass = dir.resolve("basic.pass");
        Files.writeString(pass, "s3cret\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        start("auth: { basic: { username: gw, password_file: basic.pass } }");
        String expected = "Basic " + java.util.Base64.getEncoder().encodeToString("gw:s3cret".getBytes(
                StandardCharsets.US_ASCII));
        proxy.respond(r -> {
            // answers to HEAD name a length and carry no body, as Squid's 407 page does
            boolean head = r.requestLine().startsWith("HEAD");
            if (!expected.equals(r.field("Proxy-Authorization"))) {
                return Answer.of("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                        + "realm=\"x\"\r\nContent-Length: " + (head ? "3448" : "0") + "\r\n\r\n");
            }
            return Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + (head ? "" : "ok"));
        });
        String answer = exchange("GET /1 HTTP/1.1\r\nHost: deb.example.test\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: deb.example.test\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("okHTTP/1.1 200 OK");
        // the probe (HEAD of the first request, 407 then 200), then both requests with the header
        assertThat(proxy.received).filteredOn(r -> r.requestLine().startsWith("GET"))
                .hasSize(2).allMatch(r -> expected.equals(r.field("Proxy-Authorization")));
        assertThat(proxy.received.get(0).requestLine()).isEqualTo("HEAD http://deb.example.test/1 HTTP/1.1");
    }

    @Test
    void httpConnectRelaysTheConnectionThroughConnectToPort80() throws Exception {
        proxy = new HttpProxyFake(); // here the origin behind the CONNECT
        try (FakeProxy connecting = new FakeProxy().route("deb.example.test:80", proxy.port())) {
            gw = RunningGateway.start("""
                    listeners: [{ name: web, listen: 127.0.0.1:0, peek: http }]
                    clients: [127.0.0.0/8]
                    upstreams:
                      corp: { proxies: [http://127.0.0.1:%d], http: connect }
                    rules: [{ name: debs, sni: [deb.example.test], action: splice, upstream: corp }]
                    """.formatted(connecting.port()), dir);
            String answer = exchange("GET /x HTTP/1.1\r\nHost: deb.example.test\r\nConnection: close\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("proxied GET /x HTTP/1.1");
            assertThat(connecting.requests.get(0)).startsWith("CONNECT deb.example.test:80 HTTP/1.1");
            // the bytes as the client sent them: origin form, its own Connection field
            assertThat(proxy.received.get(0).head()).isEqualTo("GET /x HTTP/1.1\r\nHost: deb.example.test\r\n"
                    + "Connection: close\r\n");
            String conn = gw.awaitLine(l -> !l.contains("\"method\""));
            assertThat(field(conn, "target")).isEqualTo("deb.example.test:80");
            assertThat(field(conn, "outcome")).isEqualTo("ok");
            assertThat(gw.accessLog).noneMatch(l -> l.contains("\"method\""));
        }
    }

    static String sha(byte[] b) throws java.security.NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of input in a head: " + b);
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(HttpProxyFake.readLine(in).trim(), 16);
            if (size == 0) {
                HttpProxyFake.readLine(in);
                return b.toByteArray();
            }
            b.write(in.readNBytes(size));
            HttpProxyFake.readLine(in);
        }
    }

    /** {@code data} as a chunked body, in chunks of {@code size}, with its last chunk. */
    static void writeChunked(OutputStream out, byte[] data, int size) throws IOException {
        for (int off = 0; off < data.length; off += size) {
            int n = Math.min(size, data.length - off);
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(data, off, n);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
}
