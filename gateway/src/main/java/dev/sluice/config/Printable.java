package dev.sluice.config;



/** Attacker-controlled bytes made safe to show: printable ASCII stays, everything else becomes {@code \xNN}. */
public final class Printable {
    private Printable() {
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** At most {@code max} input bytes are shown; more is marked with "...(N bytes)". */
    public static String of(byte[] bytes, int offset, int length, int max) {
        int shown = Math.min(length, max);
        StringBuilder sb = new StringBuilder(shown + 16);
        for (int i = offset; i < offset + shown; i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
                sb.append((char) b);
            } else {
                sb.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xf]);
            }
        }
        if (shown < length) {
            sb.append("...(").append(length).append(" bytes)");
        }
        return sb.toString();
    }
}
