package dev.sluice.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.dns.DnsMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the DNS responder's reading of a stranger's question ({@link DnsMessages#parse}, Netty's DNS codec behind
 * it), and the answer written from what it read. For every input:
 * <ul>
 *   <li>the verdict is a {@link DnsMessages.Question} or {@link DnsMessages.Malformed} with FORMERR or NOTIMP;
 *       anything else escaping (and any hang, see {@code @Timeout}) is a finding;</li>
 *   <li>the input buffer is left as it was (indices and bytes), and nothing is leaked (its reference count);</li>
 *   <li>a question's name is at most 253 characters, its {@code hostName()} is null or a lower-case host name,
 *       and the malformed verdict's text is printable ASCII, safe to log;</li>
 *   <li>an answer can be written for every question read (with and without an address; the question and records
 *       only for a name that can be written back), and a bare FORMERR for any input of a header's length, each a
 *       response with the question's ID.</li>
 * </ul>
 * Seeds in {@code DnsQueryFuzzTestInputs/parse/}: real queries (dig's A with EDNS, AAAA, HTTPS), a compression
 * loop and a name of 255 wire bytes.
 */
class DnsQueryFuzzTest {
    private static final Pattern HOST = Pattern.compile("[a-z0-9_-]{1,63}(\\.[a-z0-9_-]{1,63})*");
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");

    @FuzzTest
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void parse(byte[] input) throws Exception {
        byte[] copy = input.clone();
        ByteBuf buf = Unpooled.wrappedBuffer(copy);
        DnsMessages.Question q = null;
        try {
            q = DnsMessages.parse(buf);
        } catch (DnsMessages.Malformed m) {
            assertThat(m.rcode()).isIn(DnsMessages.FORMERR, DnsMessages.NOTIMP);
            assertThat(m.getMessage()).matches(PRINTABLE);
        }
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.readableBytes()).isEqualTo(input.length);
        assertThat(copy).isEqualTo(input);
        assertThat(buf.refCnt()).isEqualTo(1);
        if (input.length >= 12) {
            ByteBuf bare = DnsMessages.bare(ByteBufAllocator.DEFAULT, buf, DnsMessages.FORMERR);
            assertThat(bare.getUnsignedShort(0)).isEqualTo(DnsMessages.id(buf));
            assertThat(bare.getByte(2) & 0x80).isNotZero();
            bare.release();
        }
        if (q == null) {
            return;
        }
        assertThat(q.name().length()).isLessThanOrEqualTo(253);
        String host = q.hostName();
        if (host != null) {
            assertThat(host).matches(HOST);
        }
        for (List<java.net.InetAddress> addresses : List.of(List.<java.net.InetAddress>of(),
                List.of(java.net.InetAddress.getByAddress(new byte[] {(byte) 198, 18, 0, 1})))) {
            ByteBuf a = DnsMessages.answer(ByteBufAllocator.DEFAULT, q, DnsMessages.NOERROR, addresses, 60);
            try {
                assertThat(a.getUnsignedShort(0)).isEqualTo(q.id());
                assertThat(a.getByte(2) & 0x80).isNotZero();
                assertThat(a.getUnsignedShort(4)).isEqualTo(q.echoable() ? 1 : 0);
                assertThat(a.getUnsignedShort(6)).isEqualTo(q.echoable() ? addresses.size() : 0);
            } finally {
                a.release();
            }
        }
    }
}
