package dev.sluice.dns;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** DNS messages written and read by hand, as a client would, for the responder's tests. */
final class DnsWire {
    static final int A = 1;
    static final int AAAA = 28;
    static final int HTTPS = 65;

    private DnsWire() {
    }

    /** A query for {@code name} (labels split at dots), with an OPT record when {@code edns}. */
    static byte[] query(int id, String name, int type, boolean edns) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        header(out, id, 0x01, 1, edns ? 1 : 0); // RD
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        short16(out, type);
        short16(out, 1);
        if (edns) {
            out.writeBytes(new byte[] {0, 0, 41, 0x04, (byte) 0xd0, 0, 0, 0, 0, 0, 0}); // OPT, 1232, no options
        }
        return out.toByteArray();
    }

    static void header(ByteArrayOutputStream out, int id, int flags, int qd, int ar) {
        short16(out, id);
        short16(out, flags << 8);
        short16(out, qd);
        short16(out, 0);
        short16(out, 0);
        short16(out, ar);
    }

    static void short16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v & 0xff);
    }

    static int id(byte[] m) {
        return ((m[0] & 0xff) << 8) | (m[1] & 0xff);
    }

    static int rcode(byte[] m) {
        return m[3] & 0x0f;
    }

    static int answers(byte[] m) {
        return ((m[6] & 0xff) << 8) | (m[7] & 0xff);
    }

    /** The first answer record's address and TTL, skipping the question (names uncompressed or pointers). */
    static Answer firstAnswer(byte[] m) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(m);
        b.position(12);
        skipName(b);
        b.position(b.position() + 4);
        skipName(b);
        int type = b.getShort() & 0xffff;
        b.getShort();
        long ttl = b.getInt() & 0xffffffffL;
        byte[] rdata = new byte[b.getShort() & 0xffff];
        b.get(rdata);
        return new Answer(type, ttl, InetAddress.getByAddress(rdata));
    }

    record Answer(int type, long ttl, InetAddress address) {
    }

    private static void skipName(ByteBuffer b) {
        while (true) {
            int len = b.get() & 0xff;
            if (len == 0) {
                return;
            }
            if ((len & 0xc0) == 0xc0) {
                b.get();
                return;
            }
            b.position(b.position() + len);
        }
    }
}
