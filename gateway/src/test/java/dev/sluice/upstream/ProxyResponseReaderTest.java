package dev.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The head of a proxy's answer: what is read, what is left for the tunnel, what is refused, however it is cut. */
class ProxyResponseReaderTest {

    static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code answer} in pieces of {@code step} bytes; returns the response and what is left unread. */
    static Object[] read(String answer, int step) throws BadAnswer {
        ProxyResponseReader reader = new ProxyResponseReader();
        ByteBuf in = Unpooled.buffer();
        byte[] bytes = answer.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length; i += step) {
            in.writeBytes(bytes, i, Math.min(step, bytes.length - i));
            ProxyResponse r = reader.read(in);
            if (r != null) {
                in.writeBytes(bytes, Math.min(i + step, bytes.length), bytes.length - Math.min(i + step, bytes.length));
                return new Object[] {r, in.toString(StandardCharsets.ISO_8859_1)};
            }
        }
        return new Object[] {null, in.toString(StandardCharsets.ISO_8859_1)};
    }

    record Row(String name, String answer, int status, List<String> authenticate, boolean keepAlive,
               long contentLength, boolean chunked, String rest) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> answers() {
        return Stream.of(
                new Row("200 with nothing after", "HTTP/1.1 200 Connection established\r\n\r\n", 200, List.of(),
                        true, -1, false, ""),
                new Row("200 and the first tunnel bytes", "HTTP/1.1 200 OK\r\n\r\n\u0016\u0003\u0001hello", 200,
                        List.of(), true, -1, false, "\u0016\u0003\u0001hello"),
                new Row("200 with a body claimed (RFC 9110: ignored, the bytes are the tunnel's)",
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", 200, List.of(), true, 5, false, "abcde"),
                new Row("bare LF line ends", "HTTP/1.1 200 OK\nX: y\n\nrest", 200, List.of(), true, -1, false, "rest"),
                new Row("interim 100 Continue skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 200,
                        List.of(), true, -1, false, ""),
                new Row("two interim answers skipped", "HTTP/1.1 100 Continue\r\nA: b\r\n\r\nHTTP/1.1 102 Processing"
                        + "\r\n\r\nHTTP/1.1 407 P\r\nContent-Length: 0\r\n\r\n", 407, List.of(), true, 0, false, ""),
                new Row("407 with every challenge", "HTTP/1.1 407 Proxy Authentication Required\r\n"
                        + "Proxy-Authenticate: Negotiate\r\nproxy-authenticate: NTLM\r\n"
                        + "PROXY-AUTHENTICATE: Basic realm=\"corp\"\r\nContent-Length: 12\r\n\r\nerror page..",
                        407, List.of("Negotiate", "NTLM", "Basic realm=\"corp\""), true, 12, false, "error page.."),
                new Row("407 chunked", "HTTP/1.1 407 P\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        407, List.of(), true, -1, true, "5\r\nhello\r\n0\r\n\r\n"),
                new Row("407 with Connection: close", "HTTP/1.1 407 P\r\nConnection: close\r\n\r\n", 407, List.of(),
                        false, -1, false, ""),
                new Row("407 with Proxy-Connection: close", "HTTP/1.1 407 P\r\nProxy-Connection: close\r\n\r\n", 407,
                        List.of(), false, -1, false, ""),
                new Row("HTTP/1.0 without keep-alive closes", "HTTP/1.0 407 P\r\nContent-Length: 0\r\n\r\n", 407,
                        List.of(), false, 0, false, ""),
                new Row("HTTP/1.0 with keep-alive stays", "HTTP/1.0 407 P\r\nProxy-Connection: Keep-Alive\r\n"
                        + "Content-Length: 0\r\n\r\n", 407, List.of(), true, 0, false, ""),
                new Row("status without a reason", "HTTP/1.1 503\r\n\r\n", 503, List.of(), true, -1, false, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void readsTheSameHoweverTheBytesAreCut(Row row) throws BadAnswer {
        for (int step : new int[] {row.answer().length(), 1, 2, 7}) {
            Object[] got = read(row.answer(), step);
            ProxyResponse r = (ProxyResponse) got[0];
            assertThat(r).as("step %d", step).isNotNull();
            assertThat(r.status()).isEqualTo(row.status());
            assertThat(r.authenticate()).isEqualTo(row.authenticate());
            assertThat(r.keepAlive()).as("keep-alive").isEqualTo(row.keepAlive());
            assertThat(r.contentLength()).isEqualTo(row.contentLength());
            assertThat(r.chunked()).isEqualTo(row.chunked());
            assertThat(got[1]).as("left for the tunnel or the body, step %d", step).isEqualTo(row.rest());
        }
    }

    @Test
    void waitsForTheEndOfTheHead() throws BadAnswer {
        assertThat(read("HTTP/1.1 200 OK\r\nVia: x\r\n", 3)[0]).isNull();
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP response: \"SSH-2.0-OpenSSH_9.2\""),
                Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\n", "not an HTTP response"),
                Arguments.of("a status of letters", "HTTP/1.1 2OO OK\r\n\r\n", "bad status line"),
                Arguments.of("status 099", "HTTP/1.1 099 x\r\n\r\n", "bad status 99"),
                Arguments.of("escapes what it shows", "HTTP/1.1 \u0000\u001b[31m\r\n\r\n", "\\x00\\x1b[31m"),
                Arguments.of("obs-fold", "HTTP/1.1 407 P\r\nX: a\r\n  b\r\n\r\n", "bad header line \"  b\""),
                Arguments.of("a header without a name", "HTTP/1.1 407 P\r\n: x\r\n\r\n", "bad header line"),
                Arguments.of("bad Content-Length", "HTTP/1.1 407 P\r\nContent-Length: -1\r\n\r\n",
                        "bad Content-Length \"-1\""),
                Arguments.of("two Content-Lengths that differ",
                        "HTTP/1.1 407 P\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "bad Content-Length"),
                Arguments.of("nine interim answers", "HTTP/1.1 100 C\r\n\r\n".repeat(9), "more than 8 interim"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusesWhatIsNotAnHttpAnswer(String name, String answer, String message) {
        assertThatThrownBy(() -> read(answer, answer.length())).isInstanceOf(BadAnswer.class)
                .hasMessageContaining(message);
    }

    @Test
    void aHeaderLinePastTheBoundFailsAtOnceBeforeItEnds() {
        ProxyResponseReader reader = new ProxyResponseReader();
        ByteBuf in = buf("HTTP/1.1 200 OK\r\nX-Junk: ");
        assertThatThrownBy(() -> {
            for (int i = 0; i < 20; i++) { // 20 KiB of one line, never ended
                in.writeBytes(new byte[1024]);
                reader.read(in);
            }
        }).isInstanceOf(BadAnswer.class).hasMessage("bad answer to CONNECT: headers exceed 16384 bytes");
        assertThat(in.readableBytes()).isLessThan(ProxyResponseReader.MAX_HEAD + 1024 + 64);
    }

    @Test
    void sixtyFourKibOfHeadersFailAtTheHeaderBound() {
        StringBuilder sb = new StringBuilder("HTTP/1.1 407 P\r\n");
        while (sb.length() < 64 * 1024) {
            sb.append("X-Filler: ").append("a".repeat(100)).append("\r\n");
        }
        assertThatThrownBy(() -> read(sb.append("\r\n").toString(), 4096)).isInstanceOf(BadAnswer.class)
                .hasMessage("bad answer to CONNECT: headers exceed 16384 bytes");
    }

    @Test
    void aNegotiateTokenOfSixtyFourKibIsAccepted() throws BadAnswer {
        String token = java.util.Base64.getEncoder().encodeToString(new byte[64 * 1024]);
        Object[] got = read("HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate " + token + "\r\nContent-Length: 0\r\n\r\n",
                8192);
        assertThat(((ProxyResponse) got[0]).authenticate()).containsExactly("Negotiate " + token);
    }

    @Test
    void proxyAuthenticateLinesPastTheirBoundFail() {
        String line = "Proxy-Authenticate: Negotiate " + "A".repeat(50 * 1024) + "\r\n";
        assertThatThrownBy(() -> read("HTTP/1.1 407 P\r\n" + line + line + "\r\n", 4096))
                .isInstanceOf(BadAnswer.class)
                .hasMessage("bad answer to CONNECT: Proxy-Authenticate headers exceed 98304 bytes");
    }
}
