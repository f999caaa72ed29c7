package dev.sluice.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Decoding what getsockopt(SO_ORIGINAL_DST) returns; the real call is exercised by the e2e suite. */
class OriginalDestinationTest {

    @Test
    void decodesSockaddrIn() {
        // AF_INET=2 (host order), port 443 (network order), 203.0.113.10, zero padding
        ByteBuffer b = ByteBuffer.wrap(new byte[] {2, 0, 0x01, (byte) 0xbb, (byte) 203, 0, 113, 10, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThat(OriginalDestination.decode(b)).isEqualTo(new InetSocketAddress("203.0.113.10", 443));
    }

    @Test
    void decodesSockaddrIn6() {
        byte[] raw = new byte[28];
        raw[0] = 10; // AF_INET6
        raw[2] = 0x20;
        raw[3] = (byte) 0xfb; // 8443
        raw[8] = 0x20;
        raw[9] = 0x01;
        raw[10] = 0x0d;
        raw[11] = (byte) 0xb8; // 2001:db8::1
        raw[23] = 1;
        assertThat(OriginalDestination.decode(ByteBuffer.wrap(raw)))
                .isEqualTo(new InetSocketAddress("2001:db8::1", 8443));
    }

    @Test
    void unknownFamilyOrShortBufferIsUnknown() {
        assertThat(OriginalDestination.decode(ByteBuffer.wrap(new byte[16]))).isNull();
        assertThat(OriginalDestination.decode(ByteBuffer.wrap(new byte[] {2, 0, 1}))).isNull();
    }
}
