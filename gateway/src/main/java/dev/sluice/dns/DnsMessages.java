package dev.sluice.dns;

import dev.sluice.config.Printable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * DNS messages as the responder reads and writes them. A query is decoded by Netty's DNS codec (which rejects
 * compression loops, names that run past the message and truncated records) and then held to what a stub
 * resolver sends: one question, a name of at most 253 characters. Answers are written with Netty's record encoder
 * behind a header of our own. Pure functions of bytes: fuzzed ({@code DnsQueryFuzzTest}).
 */
public final class DnsMessages {
    public static final int NOERROR = 0;
    public static final int FORMERR = 1;
    public static final int SERVFAIL = 2;
    public static final int NXDOMAIN = 3;
    public static final int NOTIMP = 4;
    public static final int REFUSED = 5;
    /** The UDP payload size we offer in our own answers' OPT record (the DNS flag day's figure). */
    static final int EDNS_PAYLOAD = 1232;
    static final int HEADER = 12;
    /** Names that may stand for a synthetic address: letters, digits, '-' and '_' in labels. */
    private static final Pattern HOST = Pattern.compile("[a-z0-9_-]{1,63}(\\.[a-z0-9_-]{1,63})*");
    private static final InetSocketAddress NOWHERE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
    private static final Decoder DECODER = new Decoder();

    private DnsMessages() {
    }

    /** A query that cannot be answered as asked: {@code rcode} says how to refuse it. */
    public static final class Malformed extends Exception {
        private final int rcode;

        Malformed(int rcode, String message) {
            super(message, null, false, false);
            this.rcode = rcode;
        }

        public int rcode() {
            return rcode;
        }
    }

    /**
     * One query's question. {@code name} is as asked (case kept, no trailing dot, "." for the root); {@code edns}
     * when it carried an OPT record.
     */
    public record Question(int id, boolean recursionDesired, String name, int type, int dnsClass, boolean edns) {
        /** The name in lower case, when it is one the responder may answer for itself; else null. */
        public String hostName() {
            String n = name.toLowerCase(java.util.Locale.ROOT);
            return n.length() <= 253 && HOST.matcher(n).matches() ? n : null;
        }

        public String typeName() {
            return DnsRecordType.valueOf(type).name();
        }
    }

    /** Whether {@code message} (at least a header) is a response rather than a query. */
    public static boolean isResponse(ByteBuf message) {
        return (message.getUnsignedByte(message.readerIndex() + 2) & 0x80) != 0;
    }

    /** The message's ID. */
    public static int id(ByteBuf message) {
        return message.getUnsignedShort(message.readerIndex());
    }

    /** Decodes a query (the buffer's readable bytes; its indices are left as they were). */
    public static Question parse(ByteBuf message) throws Malformed {
        if (message.readableBytes() < HEADER) {
            throw new Malformed(FORMERR, message.readableBytes() + " bytes: shorter than a DNS header");
        }
        DnsQuery q;
        try {
            q = DECODER.decode(message.duplicate());
        } catch (Exception | AssertionError e) {
            byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
            throw new Malformed(FORMERR, "malformed query: " + Printable.of(why, 0, why.length, 80));
        }
        try {
            if (!q.opCode().equals(DnsOpCode.QUERY)) {
                throw new Malformed(NOTIMP, "opcode " + q.opCode().byteValue() + " is not a standard query");
            }
            if (q.count(DnsSection.QUESTION) != 1) {
                throw new Malformed(FORMERR, q.count(DnsSection.QUESTION) + " questions (one is allowed)");
            }
            DnsRecord question = q.recordAt(DnsSection.QUESTION);
            String name = question.name();
            name = name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            if (name.length() > 253) {
                throw new Malformed(FORMERR, "a name of " + name.length() + " characters (253 at most)");
            }
            boolean edns = false;
            for (int i = 0; i < q.count(DnsSection.ADDITIONAL); i++) {
                edns |= q.recordAt(DnsSection.ADDITIONAL, i).type().equals(DnsRecordType.OPT);
            }
            return new Question(q.id(), q.isRecursionDesired(), name, question.type().intValue(),
                    question.dnsClass(), edns);
        } finally {
            q.release();
        }
    }

    /** An answer to {@code q}: {@code rcode} and, for NOERROR, {@code addresses} (A or AAAA) with {@code ttl}. */
    public static ByteBuf answer(ByteBufAllocator alloc, Question q, int rcode, List<InetAddress> addresses,
                                 long ttlSeconds) {
        List<DnsRecord> answers = new ArrayList<>(addresses.size());
        for (InetAddress a : addresses) {
            answers.add(new DefaultDnsRawRecord(q.name(), a.getAddress().length == 4 ? DnsRecordType.A
                    : DnsRecordType.AAAA, ttlSeconds, Unpooled.wrappedBuffer(a.getAddress())));
        }
        ByteBuf out = alloc.buffer(64 + answers.size() * 32);
        boolean echo = q.hostName() != null || q.name().equals(".");
        header(out, q.id(), q.recursionDesired(), rcode, echo ? 1 : 0, answers.size(), q.edns() ? 1 : 0);
        try {
            if (echo) {
                DnsRecordEncoder.DEFAULT.encodeQuestion(new DefaultDnsQuestion(q.name(),
                        DnsRecordType.valueOf(q.type()), q.dnsClass()), out);
            }
            for (DnsRecord r : answers) {
                DnsRecordEncoder.DEFAULT.encodeRecord(r, out);
            }
            if (q.edns()) {
                DnsRecordEncoder.DEFAULT.encodeRecord(new DefaultDnsRawRecord(".", DnsRecordType.OPT,
                        EDNS_PAYLOAD, 0, Unpooled.EMPTY_BUFFER), out);
            }
        } catch (Exception e) {
            out.release();
            throw new IllegalStateException("cannot encode an answer for " + q.name(), e);
        }
        return out;
    }

    /** A header-only answer with {@code rcode} to a message whose question could not be read. */
    public static ByteBuf bare(ByteBufAllocator alloc, ByteBuf query, int rcode) {
        ByteBuf out = alloc.buffer(HEADER);
        boolean rd = (query.getUnsignedByte(query.readerIndex() + 2) & 1) != 0;
        header(out, id(query), rd, rcode, 0, 0, 0);
        return out;
    }

    private static void header(ByteBuf out, int id, boolean rd, int rcode, int qd, int an, int ar) {
        out.writeShort(id);
        out.writeByte(0x80 | (rd ? 1 : 0)); // QR, opcode QUERY, not authoritative, not truncated, RD echoed
        out.writeByte(0x80 | rcode); // RA
        out.writeShort(qd);
        out.writeShort(an);
        out.writeShort(0);
        out.writeShort(ar);
    }

    /** Netty's datagram query decoder, used as the function it is (it needs no pipeline). */
    private static final class Decoder extends DatagramDnsQueryDecoder {
        DnsQuery decode(ByteBuf message) throws Exception {
            List<Object> out = new ArrayList<>(1);
            decode(null, new DatagramPacket(message, NOWHERE, NOWHERE), out);
            return (DnsQuery) out.get(0);
        }
    }
}
