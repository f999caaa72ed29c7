package dev.sluice.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The memory a hostile ClientHello can make the parser use, measured (the fuzz test, ClientHelloParserFuzzTest,
 * checks a looser bound on every input it makes, but cannot make inputs this large). With the gateway's 64 KiB
 * cap the parser holds at most the cap and allocates at most twice the cap (its buffer grows by doubling) plus
 * 16 KiB, whatever the hello announces or holds; and how the bytes are cut into reads changes nothing.
 */
class ClientHelloParserBoundsTest {
    private static final int CAP = 64 * 1024;
    private static final long BOUND = 2L * CAP + 16 * 1024;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static Stream<Arguments> hostileHellos() {
        return Stream.of(
                Arguments.of("16 000 distinct empty extensions", hello(16_000, 0, 16_384), ClientHelloParser.State.DONE),
                Arguments.of("a 64 000-byte extension", hello(1, 64_000, 16_384), ClientHelloParser.State.DONE),
                Arguments.of("over the cap, in 100-byte records", hello(1, 65_000, 100), ClientHelloParser.State.TOO_LARGE),
                Arguments.of("1-byte records past the cap", hello(1, 14_950, 1), ClientHelloParser.State.TOO_LARGE),
                Arguments.of("255 ALPN names of 255 bytes", alpnHello(255, 255), ClientHelloParser.State.DONE),
                Arguments.of("16 MB announced", new byte[] {22, 3, 1, 0x40, 0, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                        ClientHelloParser.State.TOO_LARGE));
    }

    @ParameterizedTest(name = "extension {1} again after {0} distinct ones")
    @CsvSource({"3, 101", "31, 120", "32, 100", "40, 139", "16000, 15000"})
    void anExtensionTypeSeenTwiceIsMalformedHoweverManyCameBetween(int distinct, int repeated) {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        for (int i = 0; i < distinct; i++) {
            u16(ext, 100 + i);
            u16(ext, 0);
        }
        u16(ext, repeated);
        u16(ext, 0);
        ClientHelloParser p = ClientHelloParser.parse(records(body(ext.toByteArray()), 16_384), CAP);
        assertThat(p.state()).isEqualTo(ClientHelloParser.State.MALFORMED);
        assertThat(p.error()).contains("extension " + repeated + " appears twice");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileHellos")
    void aHostileHelloCostsAtMostTwiceTheCap(String name, byte[] wire, ClientHelloParser.State expected) {
        long allocated = Long.MAX_VALUE;
        ClientHelloParser p = null;
        for (int i = 0; i < 3; i++) { // the least of three: the first run loads classes
            long before = THREADS.getCurrentThreadAllocatedBytes();
            p = ClientHelloParser.parse(wire, CAP);
            allocated = Math.min(allocated, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        assertThat(p.state()).as(p.error()).isEqualTo(expected);
        assertThat(allocated).as("bytes allocated for %d bytes on the wire", wire.length).isLessThanOrEqualTo(BOUND);
    }

    @Test
    void aHelloFollowedByMoreInItsRecordIsReadToItsEndAndNoFurther() {
        // one record that carries the hello and 100 bytes more: the bytes taken, and so the verdict near the cap,
        // are the same in one read as cut at the hello's end
        byte[] hello = hello(3, 10, 16_384);
        byte[] wire = java.util.Arrays.copyOf(hello, hello.length + 100);
        int recordLength = hello.length - 5 + 100;
        wire[3] = (byte) (recordLength >> 8);
        wire[4] = (byte) recordLength;
        ByteBuffer whole = ByteBuffer.wrap(wire);
        assertThat(new ClientHelloParser(CAP).feed(whole)).isEqualTo(ClientHelloParser.State.DONE);
        assertThat(whole.position()).as("bytes taken in one read").isEqualTo(hello.length);
        assertThat(ClientHelloParser.parse(wire, hello.length).state()).as("cap that the hello fits, its record not")
                .isEqualTo(ClientHelloParser.State.DONE);
    }

    /** A ClientHello with {@code extensions} extensions of {@code extLength} zero bytes, in records of {@code recordSize}. */
    private static byte[] hello(int extensions, int extLength, int recordSize) {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        for (int i = 0; i < extensions; i++) {
            u16(ext, 100 + i);
            u16(ext, extLength);
            ext.writeBytes(new byte[extLength]);
        }
        return records(body(ext.toByteArray()), recordSize);
    }

    /** A ClientHello whose ALPN extension lists {@code names} names of {@code nameLength} unprintable bytes. */
    private static byte[] alpnHello(int names, int nameLength) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (int i = 0; i < names; i++) {
            list.write(nameLength);
            for (int j = 0; j < nameLength; j++) {
                list.write(j % 2 == 0 ? 0xff : '\n');
            }
        }
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        u16(ext, 16);
        u16(ext, list.size() + 2);
        u16(ext, list.size());
        ext.writeBytes(list.toByteArray());
        return records(body(ext.toByteArray()), 16_384);
    }

    /** The handshake message: TLS 1.2 client version, zero random, no session, one suite, null compression. */
    private static byte[] body(byte[] extensions) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {3, 3});
        b.writeBytes(new byte[32]);
        b.write(0);
        u16(b, 2);
        b.writeBytes(new byte[] {0x13, 0x01});
        b.writeBytes(new byte[] {1, 0});
        u16(b, extensions.length);
        b.writeBytes(extensions);
        ByteArrayOutputStream hs = new ByteArrayOutputStream();
        hs.write(1);
        hs.write(b.size() >>> 16);
        u16(hs, b.size() & 0xffff);
        hs.writeBytes(b.toByteArray());
        return hs.toByteArray();
    }

    private static byte[] records(byte[] handshake, int recordSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < handshake.length; i += recordSize) {
            int n = Math.min(recordSize, handshake.length - i);
            out.writeBytes(new byte[] {22, 3, 1});
            u16(out, n);
            out.write(handshake, i, n);
        }
        return out.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v & 0xff);
    }
}
