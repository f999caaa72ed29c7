package dev.sluice.upstream.auth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The tests' own reading and writing of NTLM messages and crypto, written apart from the code under test. */
final class NtlmWire {
    /** MS-NLMP 4.2.4.3's CHALLENGE_MESSAGE: flags 0xE28A8233, TargetName "Server", the target info of 4.2.4. */
    static final byte[] SPEC_CHALLENGE = hex("""
            4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef 0000000000000000
            24002400 44000000 060070170000000f
            530065007200760065007200
            02000c0044006f006d00610069006e00 01000c0053006500720076006500720000000000""");
    /** That challenge's AV pairs, MsvAvEOL included: MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server". */
    static final byte[] SPEC_AV_PAIRS =
            hex("02000c0044006f006d00610069006e00 01000c0053006500720076006500720000000000");

    private NtlmWire() {}

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static byte[] utf16(String s) {
        return s.getBytes(StandardCharsets.UTF_16LE);
    }

    /**
     * A CHALLENGE_MESSAGE with server challenge 0123456789abcdef, a 48-byte header, TargetName "Server" and
     * {@code avPairs}; null for no TargetInfo (and the TARGET_INFO flag cleared).
     */
    static byte[] challenge(int flags, byte[] avPairs) {
        return challenge(flags, "Server", avPairs);
    }

    static byte[] challenge(int flags, String targetName, byte[] avPairs) {
        byte[] name = utf16(targetName);
        byte[] info = avPairs == null ? new byte[0] : avPairs;
        byte[] m = new byte[48 + name.length + info.length];
        System.arraycopy("NTLMSSP\0".getBytes(StandardCharsets.US_ASCII), 0, m, 0, 8);
        le32(m, 8, 2);
        field(m, 12, name.length, 48);
        le32(m, 20, avPairs == null ? flags & ~0x00800000 : flags | 0x00800000);
        System.arraycopy(hex("0123456789abcdef"), 0, m, 24, 8);
        field(m, 40, info.length, 48 + name.length);
        System.arraycopy(name, 0, m, 48, name.length);
        System.arraycopy(info, 0, m, 48 + name.length, info.length);
        return m;
    }

    /** AV pairs from (id, value) couples, then MsvAvEOL. */
    static byte[] avPairs(Object... idsAndValues) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < idsAndValues.length; i += 2) {
            byte[] value = (byte[]) idsAndValues[i + 1];
            byte[] head = new byte[4];
            le16(head, 0, (Integer) idsAndValues[i]);
            le16(head, 2, value.length);
            out.writeBytes(head);
            out.writeBytes(value);
        }
        out.writeBytes(new byte[4]);
        return out.toByteArray();
    }

    static byte[] le64(long value) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    /** The payload an AUTHENTICATE_MESSAGE's fields at {@code field} point to (12 LM, 20 NT, 28 domain, ...). */
    static byte[] payload(byte[] message, int field) {
        int length = le16(message, field);
        int offset = le16(message, field + 4) | le16(message, field + 6) << 16;
        return Arrays.copyOfRange(message, offset, offset + length);
    }

    static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static int le32(byte[] b, int at) {
        return le16(b, at) | le16(b, at + 2) << 16;
    }

    static void le16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    static void le32(byte[] b, int at, int v) {
        le16(b, at, v);
        le16(b, at + 2, v >>> 16);
    }

    static void field(byte[] b, int at, int length, int offset) {
        le16(b, at, length);
        le16(b, at + 2, length);
        le32(b, at + 4, offset);
    }

    static byte[] hmacMd5(byte[] key, byte[]... parts) throws Exception {
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec(key, "HmacMD5"));
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    static byte[] rc4(byte[] key, byte[] data) throws Exception {
        Cipher rc4 = Cipher.getInstance("RC4");
        rc4.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "RC4"));
        return rc4.doFinal(data);
    }
}
