package dev.sluice.upstream.auth;



/**
 * MD4 (RFC 1320), only for the NT hash: the JDK ships no MD4 provider. Written from the RFC's section 3;
 * MD4 is broken as a hash and must serve no other purpose.
 *
 * <p>{@link #digest(byte[])} is the whole public use. The streaming form ({@link #update}, {@link #finish}) is
 * package-private and lets the tests cut one input into blocks in different ways.
 */
public final class Md4 {
    private static final int BLOCK = 64;
    private static final int[] ROUND3_ORDER = {0, 2, 1, 3};

    private int a = 0x67452301; // RFC 1320 3.3: word A: 01 23 45 67 (low-order byte first)
    private int b = 0xefcdab89;
    private int c = 0x98badcfe;
    private int d = 0x10325476;
    private final byte[] pending = new byte[BLOCK];
    private final int[] x = new int[16];
    private int pendingLength;
    private long length;

    Md4() {}

    /** The 16-byte MD4 digest of {@code input}. */
    public static byte[] digest(byte[] input) {
        Md4 md4 = new Md4();
        md4.update(input, 0, input.length);
        return md4.finish();
    }

    void update(byte[] input, int offset, int count) {
        length += count;
        int end = offset + count;
        if (pendingLength > 0) {
            int take = Math.min(BLOCK - pendingLength, count);
            System.arraycopy(input, offset, pending, pendingLength, take);
            pendingLength += take;
            offset += take;
            if (pendingLength < BLOCK) {
                return;
            }
            block(pending, 0);
            pendingLength = 0;
        }
        for (; end - offset >= BLOCK; offset += BLOCK) {
            block(input, offset);
        }
        System.arraycopy(input, offset, pending, 0, end - offset);
        pendingLength = end - offset;
    }

    /**
     * RFC 1320 3.1, 3.2 and 3.5: pads, appends the bit length, and gives A, B, C, D low-order byte first.
     * The instance is spent afterwards.
     */
    byte[] finish() {
        long bits = length << 3;
        byte[] tail = new byte[(pendingLength < 56 ? 64 : 128) - pendingLength];
        tail[0] = (byte) 0x80;
        for (int i = 0; i < 8; i++) {
            tail[tail.length - 8 + i] = (byte) (bits >>> (8 * i));
        }
        update(tail, 0, tail.length);
        byte[] out = new byte[16];
        int[] words = {a, b, c, d};
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) (words[i >> 2] >>> (8 * (i & 3)));
        }
        return out;
    }

    /** RFC 1320 3.4: one 16-word block, three rounds of 16 operations. */
    private void block(byte[] in, int offset) {
        for (int i = 0; i < 16; i++) {
            int p = offset + 4 * i;
            x[i] = (in[p] & 0xff) | (in[p + 1] & 0xff) << 8 | (in[p + 2] & 0xff) << 16 | (in[p + 3] & 0xff) << 24;
        }
        int aa = a;
        int bb = b;
        int cc = c;
        int dd = d;
        for (int k = 0; k < 16; k += 4) { // round 1: [ABCD k 3] [DABC k+1 7] [CDAB k+2 11] [BCDA k+3 19]
            a = round1(a, b, c, d, x[k], 3);
            d = round1(d, a, b, c, x[k + 1], 7);
            c = round1(c, d, a, b, x[k + 2], 11);
            b = round1(b, c, d, a, x[k + 3], 19);
        }
        for (int k = 0; k < 4; k++) { // round 2: [ABCD k 3] [DABC k+4 5] [CDAB k+8 9] [BCDA k+12 13]
            a = round2(a, b, c, d, x[k], 3);
            d = round2(d, a, b, c, x[k + 4], 5);
            c = round2(c, d, a, b, x[k + 8], 9);
            b = round2(b, c, d, a, x[k + 12], 13);
        }
        for (int k : ROUND3_ORDER) { // round 3: [ABCD k 3] [DABC k+8 9] [CDAB k+4 11] [BCDA k+12 15]
            a = round3(a, b, c, d, x[k], 3);
            d = round3(d, a, b, c, x[k + 8], 9);
            c = round3(c, d, a, b, x[k + 4], 11);
            b = round3(b, c, d, a, x[k + 12], 15);
        }
        a += aa;
        b += bb;
        c += cc;
        d += dd;
    }

    /** F(X,Y,Z) = XY v not(X) Z. */
    private static int round1(int a, int b, int c, int d, int xk, int s) {
        return Integer.rotateLeft(a + ((b & c) | (~b & d)) + xk, s);
    }

    /** G(X,Y,Z) = XY v XZ v YZ, plus the square root of 2 (0x5A827999). */
    private static int round2(int a, int b, int c, int d, int xk, int s) {
        return Integer.rotateLeft(a + ((b & c) | (b & d) | (c & d)) + xk + 0x5a827999, s);
    }

    /** H(X,Y,Z) = X xor Y xor Z, plus the square root of 3 (0x6ED9EBA1). */
    private static int round3(int a, int b, int c, int d, int xk, int s) {
        return Integer.rotateLeft(a + (b ^ c ^ d) + xk + 0x6ed9eba1, s);
    }
}
