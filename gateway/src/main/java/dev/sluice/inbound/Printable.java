package dev.sluice.inbound;

/** Attacker-controlled bytes made safe to show: printable ASCII stays, everything else becomes {@code \xNN}. */
final class Printable {
    private Printable() {
    }

    static String of(byte[] bytes, int offset, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = offset; i < offset + length; i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.toString();
    }
}
