package dev.sluice.upstream.auth;



/** The little-endian integers of NTLM messages. Callers check bounds first. */
final class LittleEndian {
    private LittleEndian() {}

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    /** An unsigned 32-bit field as a long, so that 0xFFFFFFF0 stays 4294967280, not -16. */
    static long u32(byte[] b, int at) {
        return u16(b, at) | (long) u16(b, at + 2) << 16;
    }

    static long s64(byte[] b, int at) {
        return u32(b, at) | u32(b, at + 4) << 32;
    }

    static void put16(byte[] b, int at, int value) {
        b[at] = (byte) value;
        b[at + 1] = (byte) (value >>> 8);
    }

    static void put32(byte[] b, int at, int value) {
        put16(b, at, value);
        put16(b, at + 2, value >>> 16);
    }

    static void put64(byte[] b, int at, long value) {
        put32(b, at, (int) value);
        put32(b, at + 4, (int) (value >>> 32));
    }
}
