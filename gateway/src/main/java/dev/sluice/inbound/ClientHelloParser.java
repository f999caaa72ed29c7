package dev.sluice.inbound;

import dev.sluice.config.Printable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a TLS ClientHello incrementally from the bytes a client sends, however they are cut: across several TLS
 * records, and across any number of reads (one byte at a time works). It copies what it needs and never changes
 * the caller's bytes, so the caller replays them unchanged. Pure Java, no Netty: testable and fuzzable alone.
 *
 * <p>Feed it bytes until {@link #feed} returns something other than {@link State#NEED_MORE}. It reads no more
 * than {@code maxBytes} (TLS record headers included) before giving up with {@link State#TOO_LARGE}, and never past
 * the end of the ClientHello, so its verdict does not depend on how the bytes were cut into reads.
 */
public final class ClientHelloParser {
    /** What the parser has concluded so far. */
    public enum State { NEED_MORE, DONE, NOT_TLS, MALFORMED, TOO_LARGE }

    private static final int HANDSHAKE = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int MAX_RECORD = 16384 + 2048;
    private static final int EXT_SERVER_NAME = 0;
    private static final int EXT_ALPN = 16;
    /** ALPN protocols kept (real clients send two or three); the rest are validated but not kept. */
    private static final int MAX_ALPN = 8;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?");

    private final int maxBytes;
    private final byte[] header = new byte[5];
    private int headerLength;
    private int recordRemaining;
    private byte[] handshake = new byte[512];
    private int handshakeLength;
    private int expected = -1;
    private int consumed;
    private int records;
    private int recordVersion;
    private State state = State.NEED_MORE;
    private String error;
    private Hello hello;

    public ClientHelloParser(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Parses a complete ClientHello held in one array (tests, tools). */
    public static ClientHelloParser parse(byte[] bytes, int maxBytes) {
        ClientHelloParser p = new ClientHelloParser(maxBytes);
        p.feed(ByteBuffer.wrap(bytes));
        return p;
    }

    /** Reads from {@code in} (advancing its position) and returns the state; stops reading once decided. */
    public State feed(ByteBuffer in) {
        while (state == State.NEED_MORE && in.hasRemaining()) {
            if (headerLength < 5) {
                readHeaderByte(in.get());
            } else {
                int n = Math.min(recordRemaining, in.remaining());
                n = Math.min(n, maxBytes - consumed + 1);
                // Not past the handshake header until it is read, then not past the end of the hello: what is
                // decided, and after how many bytes, must not depend on how the bytes were cut into reads.
                n = Math.min(n, (expected < 0 ? 4 : expected) - handshakeLength);
                ensure(handshakeLength + n);
                in.get(handshake, handshakeLength, n);
                handshakeLength += n;
                recordRemaining -= n;
                count(n);
                if (recordRemaining == 0) {
                    headerLength = 0;
                }
                checkHandshake();
            }
        }
        return state;
    }

    private void readHeaderByte(byte b) {
        header[headerLength++] = b;
        count(1);
        if (state != State.NEED_MORE) {
            return;
        }
        if (headerLength == 1 && (b & 0xff) != HANDSHAKE) {
            if (records == 0) {
                fail(State.NOT_TLS, "not TLS: first byte 0x" + String.format("%02x", b & 0xff) + " ('"
                        + Printable.of(header, 0, 1, 1) + "') is not a TLS handshake record");
            } else {
                fail(State.MALFORMED, "record of type " + (b & 0xff) + " inside the ClientHello");
            }
        } else if (headerLength == 2 && b != 3) {
            fail(records == 0 ? State.NOT_TLS : State.MALFORMED,
                    "not TLS: record version major " + (b & 0xff) + " (expected 3)");
        } else if (headerLength == 5) {
            int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
            if (length == 0 || length > MAX_RECORD) {
                fail(State.MALFORMED, "TLS record length " + length + " out of range 1-" + MAX_RECORD);
                return;
            }
            if (records == 0) {
                recordVersion = ((header[1] & 0xff) << 8) | (header[2] & 0xff);
            }
            records++;
            recordRemaining = length;
        }
    }

    private void checkHandshake() {
        if (state != State.NEED_MORE) {
            return;
        }
        if (expected < 0 && handshakeLength >= 4) {
            if ((handshake[0] & 0xff) != CLIENT_HELLO) {
                fail(State.MALFORMED, "first handshake message is type " + (handshake[0] & 0xff)
                        + ", not ClientHello (1)");
                return;
            }
            int length = ((handshake[1] & 0xff) << 16) | ((handshake[2] & 0xff) << 8) | (handshake[3] & 0xff);
            if (length + 4 > maxBytes) {
                fail(State.TOO_LARGE, "ClientHello of " + length + " bytes exceeds the limit of " + maxBytes);
                return;
            }
            expected = length + 4;
        }
        if (expected >= 0 && handshakeLength >= expected) {
            try {
                hello = new Body(handshake, 4, expected, recordVersion).read();
                state = State.DONE;
            } catch (IllegalArgumentException e) {
                fail(State.MALFORMED, "malformed ClientHello: " + e.getMessage());
            }
        }
    }

    private void count(int n) {
        consumed += n;
        if (consumed > maxBytes && state == State.NEED_MORE) {
            fail(State.TOO_LARGE, "no complete ClientHello in the first " + maxBytes + " bytes");
        }
    }

    private void fail(State s, String message) {
        state = s;
        error = message;
    }

    private void ensure(int capacity) {
        if (capacity > handshake.length) {
            handshake = Arrays.copyOf(handshake, Math.max(capacity, Math.min(handshake.length * 2, maxBytes)));
        }
    }

    public State state() {
        return state;
    }

    /** The ClientHello's content once {@link State#DONE}. */
    public Hello hello() {
        return hello;
    }

    /** Why the bytes were refused (escaped, safe to log), once NOT_TLS, MALFORMED or TOO_LARGE. */
    public String error() {
        return error;
    }

    /** How many TLS records the ClientHello spanned. */
    public int records() {
        return records;
    }

    /** The body of a ClientHello handshake message, read with bounds checks on every field. */
    private static final class Body {
        private final byte[] b;
        private int pos;
        private final int end;
        private final int recordVersion;

        Body(byte[] b, int from, int end, int recordVersion) {
            this.b = b;
            this.pos = from;
            this.end = end;
            this.recordVersion = recordVersion;
        }

        Hello read() {
            int major = u8();
            u8();
            if (major != 3) {
                throw new IllegalArgumentException("client version major " + major);
            }
            skip(32, "random");
            int sessionId = u8();
            if (sessionId > 32) {
                throw new IllegalArgumentException("session id of " + sessionId + " bytes");
            }
            skip(sessionId, "session id");
            int suites = u16();
            if (suites < 2 || suites % 2 != 0) {
                throw new IllegalArgumentException("cipher suites length " + suites);
            }
            skip(suites, "cipher suites");
            int compressions = u8();
            if (compressions < 1) {
                throw new IllegalArgumentException("no compression methods");
            }
            skip(compressions, "compression methods");
            if (pos == end) {
                return new Hello(null, List.of(), recordVersion);
            }
            int extensionsEnd = pos + 2 + peekU16();
            u16();
            if (extensionsEnd != end) {
                throw new IllegalArgumentException("extensions length does not match the message length");
            }
            String sni = null;
            List<String> alpn = List.of();
            SeenTypes seen = new SeenTypes();
            while (pos < extensionsEnd) {
                int type = u16();
                int length = u16();
                int extEnd = pos + length;
                if (extEnd > extensionsEnd) {
                    throw new IllegalArgumentException("extension " + type + " overruns the message");
                }
                if (!seen.add(type)) {
                    throw new IllegalArgumentException("extension " + type + " appears twice");
                }
                if (type == EXT_SERVER_NAME) {
                    sni = serverName(extEnd);
                } else if (type == EXT_ALPN) {
                    alpn = alpn(extEnd);
                }
                pos = extEnd;
            }
            return new Hello(sni, alpn, recordVersion);
        }

        private String serverName(int extEnd) {
            int listEnd = pos + 2 + peekU16();
            u16();
            if (listEnd != extEnd || listEnd == pos) {
                throw new IllegalArgumentException("server_name list length");
            }
            String name = null;
            while (pos < listEnd) {
                int nameType = u8();
                int length = u16();
                if (pos + length > listEnd) {
                    throw new IllegalArgumentException("server name overruns its list");
                }
                if (nameType == 0) {
                    if (name != null) {
                        throw new IllegalArgumentException("more than one host_name in server_name");
                    }
                    String shown = Printable.of(b, pos, length, 64);
                    if (length == 0 || length > 255
                            || !HOST.matcher(new String(b, pos, length, StandardCharsets.ISO_8859_1)).matches()) {
                        throw new IllegalArgumentException("server name \"" + shown + "\" is not a DNS host name");
                    }
                    name = new String(b, pos, length, StandardCharsets.US_ASCII);
                }
                pos += length;
            }
            return name;
        }

        private List<String> alpn(int extEnd) {
            int listEnd = pos + 2 + peekU16();
            u16();
            if (listEnd != extEnd || listEnd == pos) {
                throw new IllegalArgumentException("ALPN list length");
            }
            List<String> out = new ArrayList<>();
            while (pos < listEnd) {
                int length = u8();
                if (length == 0 || pos + length > listEnd) {
                    throw new IllegalArgumentException("ALPN protocol length");
                }
                if (out.size() < MAX_ALPN) {
                    out.add(Printable.of(b, pos, length, 32));
                }
                pos += length;
            }
            return List.copyOf(out);
        }

        private int u8() {
            need(1, "field");
            return b[pos++] & 0xff;
        }

        private int u16() {
            int v = peekU16();
            pos += 2;
            return v;
        }

        private int peekU16() {
            need(2, "length");
            return ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
        }

        private void skip(int n, String what) {
            need(n, what);
            pos += n;
        }

        private void need(int n, String what) {
            if (pos + n > end) {
                throw new IllegalArgumentException(what + " overruns the message");
            }
        }
    }

    /**
     * The extension types seen so far, with bounded memory however many a hello holds: the first
     * {@link #FEW} in a small array (a real client sends 10 to 20; no hash set of boxed integers), past that one
     * bit per possible type (8 KiB).
     */
    private static final class SeenTypes {
        private static final int FEW = 32;
        private final int[] few = new int[FEW];
        private int count;
        private long[] bits;

        /** False when {@code type} was seen before. */
        boolean add(int type) {
            if (bits == null) {
                for (int i = 0; i < count; i++) {
                    if (few[i] == type) {
                        return false;
                    }
                }
                if (count < FEW) {
                    few[count++] = type;
                    return true;
                }
                bits = new long[1024];
                for (int t : few) {
                    bits[t >>> 6] |= 1L << t;
                }
            }
            if ((bits[type >>> 6] & (1L << type)) != 0) {
                return false;
            }
            bits[type >>> 6] |= 1L << type;
            return true;
        }
    }
}
