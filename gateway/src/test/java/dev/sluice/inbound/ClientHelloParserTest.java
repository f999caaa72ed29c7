package dev.sluice.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The parser against real clients' hellos (fixtures in src/test/resources/hellos) and against bad input. */
class ClientHelloParserTest {
    private static final int MAX = 64 * 1024;

    static Stream<Arguments> realClients() {
        return Stream.of(
                Arguments.of("openssl-s_client.bin", "proxy.golang.org", List.of("h2", "http/1.1")),
                Arguments.of("openssl-tls12-noalpn.bin", "sum.golang.org", List.of()),
                Arguments.of("openssl-nosni.bin", null, List.of()),
                Arguments.of("curl.bin", "github.com", List.of("h2", "http/1.1")),
                Arguments.of("go.bin", "proxy.golang.org", List.of("h2", "http/1.1")),
                Arguments.of("jdk.bin", "repo.maven.apache.org", List.of("http/1.1")),
                Arguments.of("chromium.bin", "www.example.com", List.of("h2", "http/1.1")),
                Arguments.of("python.bin", "pypi.org", List.of("http/1.1")),
                Arguments.of("firefox.bin", "www.example.com", List.of("h2", "http/1.1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realClients")
    void readsRealClientHellos(String file, String sni, List<String> alpn) throws IOException {
        ClientHelloParser p = ClientHelloParser.parse(fixture(file), MAX);
        assertThat(p.state()).as(p.error()).isEqualTo(ClientHelloParser.State.DONE);
        assertThat(p.hello().sni()).isEqualTo(sni);
        assertThat(p.hello().alpn()).isEqualTo(alpn);
    }

    @Test
    void keepsTheRecordVersionOfTheFirstRecordForARefusalsAlert() throws IOException {
        assertThat(ClientHelloParser.parse(fixture("go.bin"), MAX).hello().recordVersion()).isEqualTo(0x0301);
        assertThat(ClientHelloParser.parse(fixture("jdk.bin"), MAX).hello().recordVersion()).isEqualTo(0x0303);
        byte[] later = fixture("curl.bin");
        later[2] = 2; // TLS 1.1 in the first record's header: the hello body still says 1.2
        assertThat(ClientHelloParser.parse(later, MAX).hello().recordVersion()).isEqualTo(0x0302);
    }

    @ParameterizedTest(name = "{0} one byte at a time")
    @MethodSource("realClients")
    void readsHellosDeliveredOneByteAtATime(String file, String sni, List<String> alpn) throws IOException {
        byte[] bytes = fixture(file);
        ClientHelloParser p = new ClientHelloParser(MAX);
        for (int i = 0; i < bytes.length; i++) {
            ClientHelloParser.State s = p.feed(ByteBuffer.wrap(bytes, i, 1));
            if (i < bytes.length - 1) {
                assertThat(s).as("after byte %d", i).isEqualTo(ClientHelloParser.State.NEED_MORE);
            }
        }
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.DONE);
        assertThat(p.hello().sni()).isEqualTo(sni);
        assertThat(p.hello().alpn()).isEqualTo(alpn);
    }

    @ParameterizedTest(name = "{0} re-framed into records of {1} bytes")
    @MethodSource("splits")
    void readsHellosSplitOverManyRecords(String file, int recordSize) throws IOException {
        byte[] split = reframe(fixture(file), recordSize);
        ClientHelloParser p = new ClientHelloParser(MAX);
        for (int i = 0; i < split.length; i += 7) { // and 7-byte reads that cut across record headers
            p.feed(ByteBuffer.wrap(split, i, Math.min(7, split.length - i)));
        }
        assertThat(p.state()).as(p.error()).isEqualTo(ClientHelloParser.State.DONE);
        assertThat(p.records()).isGreaterThan(1);
        assertThat(p.hello().sni()).isEqualTo("www.example.com");
    }

    static Stream<Arguments> splits() {
        return Stream.of(Arguments.of("chromium.bin", 1), Arguments.of("chromium.bin", 100),
                Arguments.of("chromium.bin", 1000));
    }

    @Test
    void stopsAtTheEndOfTheHelloAndLeavesLaterBytesUnread() throws IOException {
        byte[] hello = fixture("go.bin");
        byte[] withMore = Arrays.copyOf(hello, hello.length + 50);
        ByteBuffer in = ByteBuffer.wrap(withMore);
        ClientHelloParser p = new ClientHelloParser(MAX);
        assertThat(p.feed(in)).isEqualTo(ClientHelloParser.State.DONE);
        assertThat(in.remaining()).isEqualTo(50);
    }

    @Test
    void plainHttpIsNotTls() {
        ClientHelloParser p = ClientHelloParser.parse("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.NOT_TLS);
        assertThat(p.error()).contains("0x47").contains("'G'");
    }

    @Test
    void sslv2StyleHelloIsNotTls() {
        ClientHelloParser p = ClientHelloParser.parse(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x03, 0x01}, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.NOT_TLS);
    }

    @Test
    void truncatedHelloNeedsMore() throws IOException {
        byte[] hello = fixture("curl.bin");
        ClientHelloParser p = ClientHelloParser.parse(Arrays.copyOf(hello, hello.length - 1), MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.NEED_MORE);
    }

    @Test
    void anotherHandshakeMessageIsMalformed() throws IOException {
        byte[] hello = fixture("curl.bin");
        hello[5] = 2; // ServerHello
        ClientHelloParser p = ClientHelloParser.parse(hello, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.MALFORMED);
        assertThat(p.error()).contains("type 2");
    }

    @Test
    void zeroLengthRecordIsMalformed() {
        ClientHelloParser p = ClientHelloParser.parse(new byte[] {22, 3, 1, 0, 0}, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.MALFORMED);
    }

    @Test
    void alertRecordInsideTheHelloIsMalformed() throws IOException {
        byte[] split = reframe(fixture("go.bin"), 100);
        split[105] = 21; // the second record's type: alert
        ClientHelloParser p = ClientHelloParser.parse(split, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.MALFORMED);
    }

    @Test
    void helloLargerThanTheLimitIsRefusedWithoutReadingIt() {
        // a handshake header announcing 70000 bytes
        byte[] header = {22, 3, 1, 0x40, 0, 1, 0x01, 0x11, 0x70};
        ClientHelloParser p = ClientHelloParser.parse(header, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.TOO_LARGE);
    }

    @Test
    void endlessStreamOfRecordsStopsAtTheLimit() {
        ClientHelloParser p = new ClientHelloParser(MAX);
        byte[] record = new byte[5 + 16384];
        record[0] = 22;
        record[1] = 3;
        record[2] = 1;
        record[3] = 0x40;
        record[5] = 1; // ClientHello of 16 MB announced: refused on the header
        record[6] = (byte) 0xff;
        assertThat(p.feed(ByteBuffer.wrap(record))).isEqualTo(ClientHelloParser.State.TOO_LARGE);
        ClientHelloParser q = new ClientHelloParser(1000);
        byte[] small = {22, 3, 1, 0x03, (byte) 0xe8, 1, 0, 0x03, (byte) 0xe4}; // fits, but not with its header
        ByteBuffer b = ByteBuffer.allocate(2000);
        b.put(small).position(0).limit(2000);
        assertThat(q.feed(b)).isEqualTo(ClientHelloParser.State.TOO_LARGE);
    }

    @Test
    void serverNameWithControlCharactersIsRefusedAndEscaped() throws IOException {
        byte[] hello = fixture("go.bin");
        int at = indexOf(hello, "proxy.golang.org".getBytes(StandardCharsets.US_ASCII));
        hello[at + 5] = '\n';
        hello[at + 6] = (byte) 0xff;
        ClientHelloParser p = ClientHelloParser.parse(hello, MAX);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.MALFORMED);
        assertThat(p.error()).contains("proxy\\x0a\\xffolang.org").doesNotContain("\n");
    }

    @Test
    void corruptedLengthsNeverThrow() throws IOException {
        byte[] hello = fixture("chromium.bin");
        for (int i = 5; i < hello.length; i++) {
            for (int v : new int[] {0, 1, 0x7f, 0xff}) {
                byte[] copy = hello.clone();
                copy[i] = (byte) v;
                ClientHelloParser p = ClientHelloParser.parse(copy, MAX);
                assertThat(p.state()).isNotNull();
                if (p.state() == ClientHelloParser.State.DONE) {
                    assertThat(p.hello()).isNotNull();
                } else if (p.state() != ClientHelloParser.State.NEED_MORE) {
                    assertThat(p.error()).isNotBlank();
                }
            }
        }
    }

    /** Cuts the handshake message of a one-record hello into records of {@code size} bytes of payload. */
    static byte[] reframe(byte[] hello, int size) {
        byte[] handshake = Arrays.copyOfRange(hello, 5, hello.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < handshake.length; i += size) {
            int n = Math.min(size, handshake.length - i);
            out.write(22);
            out.write(3);
            out.write(1);
            out.write(n >> 8);
            out.write(n & 0xff);
            out.write(handshake, i, n);
        }
        return out.toByteArray();
    }

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = ClientHelloParserTest.class.getResourceAsStream("/hellos/" + name)) {
            assertThat(in).as("fixture " + name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
