package dev.sluice.upstream.auth;

import static dev.sluice.upstream.auth.LittleEndian.put16;
import static dev.sluice.upstream.auth.LittleEndian.put32;
import static dev.sluice.upstream.auth.LittleEndian.s64;
import static dev.sluice.upstream.auth.LittleEndian.u16;
import static dev.sluice.upstream.auth.LittleEndian.u32;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) read strictly, as a proxy can send anything: every field is checked
 * against the message's length before it is read, what is allocated is bounded by the message's own size (at most
 * 64 KiB), and every rejection is an {@link AuthException} that says what was wrong, with numbers only (never the
 * server's bytes, except a bad signature in hex).
 *
 * <p>TargetInfo is read only when the server sets NTLMSSP_NEGOTIATE_TARGET_INFO (when it does not, the fields at
 * 40..47 may not exist: the JDK's own server puts its TargetName there). A challenge without target info, or
 * with an empty one, is accepted: NTLMv2 then goes on with an AV pair list of MsvAvEOL alone.
 */
final class NtlmChallenge {
    /** The largest challenge accepted; a real one is a few hundred bytes. */
    static final int MAX_LENGTH = 64 * 1024;
    private static final byte[] SIGNATURE = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    private static final int HEADER = 32;
    private static final int HEADER_WITH_TARGET_INFO = 48;
    private static final int AV_EOL = 0;
    private static final int AV_FLAGS = 6;
    private static final int AV_TIMESTAMP = 7;
    private static final int AV_FLAG_MIC_PRESENT = 0x2;

    private final byte[] message;
    private final int flags;
    private final int pairsOffset;
    private final int pairsLength;
    private final int avFlagsAt;
    private final int timestampAt;

    private NtlmChallenge(byte[] message, int pairsOffset, int pairsLength, int avFlagsAt, int timestampAt) {
        this.message = message;
        this.flags = (int) u32(message, 20);
        this.pairsOffset = pairsOffset;
        this.pairsLength = pairsLength;
        this.avFlagsAt = avFlagsAt;
        this.timestampAt = timestampAt;
    }

    static NtlmChallenge parse(byte[] received) throws AuthException {
        if (received == null || received.length == 0) {
            throw new AuthException("not an NTLM challenge: empty");
        }
        int length = received.length;
        if (length > MAX_LENGTH) {
            throw new AuthException("NTLM challenge: " + length + " bytes, over the " + MAX_LENGTH + "-byte limit");
        }
        int signed = Math.min(length, SIGNATURE.length);
        if (!Arrays.equals(received, 0, signed, SIGNATURE, 0, signed)) {
            throw new AuthException("not an NTLM challenge: signature "
                    + HexFormat.ofDelimiter(" ").formatHex(received, 0, signed) + ", want NTLMSSP\\0");
        }
        if (length < HEADER) {
            throw new AuthException("NTLM challenge: truncated at " + length + " bytes, the header needs " + HEADER);
        }
        long type = u32(received, 8);
        if (type != 2) {
            throw new AuthException("not an NTLM challenge: message type " + type + ", want 2");
        }
        byte[] message = received.clone(); // the MIC covers these exact bytes; the caller's array may change
        boolean targetInfo = (u32(message, 20) & NtlmFlags.TARGET_INFO) != 0;
        if (targetInfo && length < HEADER_WITH_TARGET_INFO) {
            throw new AuthException("NTLM challenge: truncated at " + length
                    + " bytes, the header with target info needs " + HEADER_WITH_TARGET_INFO);
        }
        int header = targetInfo ? HEADER_WITH_TARGET_INFO : HEADER;
        payload("target name", message, 12, header);
        if (!targetInfo) {
            return new NtlmChallenge(message, header, 0, -1, -1);
        }
        int offset = payload("target info", message, 40, header);
        return pairs(message, offset, u16(message, 40));
    }

    /** Checks a payload's fields at {@code field} (length, max length, offset) and gives its offset. */
    private static int payload(String name, byte[] message, int field, int header) throws AuthException {
        int length = u16(message, field);
        long offset = u32(message, field + 4);
        if (length == 0) {
            return header; // an empty payload's offset is not used
        }
        if (offset > message.length) {
            throw new AuthException("NTLM challenge: " + name + " offset " + offset + " beyond the message ("
                    + message.length + " bytes)");
        }
        String where = " (offset " + offset + ", length " + length + ")";
        if (offset + length > message.length) {
            throw new AuthException("NTLM challenge: " + name + where + " runs past the message ("
                    + message.length + " bytes)");
        }
        if (offset < header) {
            throw new AuthException("NTLM challenge: " + name + where + " overlaps the " + header + "-byte header");
        }
        return (int) offset;
    }

    /** Reads the AV_PAIR list (MS-NLMP 2.2.2.1) up to its MsvAvEOL; bytes after it are ignored. */
    private static NtlmChallenge pairs(byte[] message, int start, int length) throws AuthException {
        if (length == 0) {
            return new NtlmChallenge(message, start, 0, -1, -1);
        }
        int end = start + length;
        int avFlagsAt = -1;
        int timestampAt = -1;
        for (int at = start; ; ) {
            if (end - at < 4) {
                throw new AuthException("NTLM challenge: target info (" + length + " bytes) ends without MsvAvEOL");
            }
            int id = u16(message, at);
            int size = u16(message, at + 2);
            int value = at + 4;
            if (size > end - value) {
                throw new AuthException("NTLM challenge: target info pair at " + (at - start) + " (AvId " + id
                        + ", length " + size + ") runs past the target info (" + length + " bytes)");
            }
            switch (id) {
                case AV_EOL:
                    if (size != 0) {
                        throw new AuthException("NTLM challenge: MsvAvEOL with length " + size + ", want 0");
                    }
                    return new NtlmChallenge(message, start, at - start, avFlagsAt, timestampAt);
                case AV_FLAGS:
                    avFlagsAt = single("MsvAvFlags", avFlagsAt, value, size, 4);
                    break;
                case AV_TIMESTAMP:
                    timestampAt = single("MsvAvTimestamp", timestampAt, value, size, 8);
                    break;
                default:
                    break;
            }
            at = value + size;
        }
    }

    private static int single(String name, int seenAt, int value, int size, int want) throws AuthException {
        if (size != want) {
            throw new AuthException("NTLM challenge: " + name + " with length " + size + ", want " + want);
        }
        if (seenAt >= 0) {
            throw new AuthException("NTLM challenge: " + name + " appears twice in the target info");
        }
        return value;
    }

    /** The message exactly as received. The caller must not change it. */
    byte[] bytes() {
        return message;
    }

    int flags() {
        return flags;
    }

    byte[] serverChallenge() {
        return Arrays.copyOfRange(message, 24, 32);
    }

    boolean hasTimestamp() {
        return timestampAt >= 0;
    }

    /** The server's MsvAvTimestamp (a FILETIME); only when {@link #hasTimestamp()}. */
    long timestamp() {
        return s64(message, timestampAt);
    }

    /** The bytes of the AV pairs before MsvAvEOL. */
    int avPairsLength() {
        return pairsLength;
    }

    /**
     * The AV pairs for the NTLMv2 client challenge (MS-NLMP 3.1.5.1.2): the server's, in its order, then, with
     * {@code micPresent}, MsvAvFlags with bit 0x2 set (in the server's own MsvAvFlags if it sent one), then MsvAvEOL.
     */
    byte[] responseAvPairs(boolean micPresent) {
        boolean addFlags = micPresent && avFlagsAt < 0;
        byte[] pairs = new byte[pairsLength + (addFlags ? 8 : 0) + 4];
        System.arraycopy(message, pairsOffset, pairs, 0, pairsLength);
        if (addFlags) {
            put16(pairs, pairsLength, AV_FLAGS);
            put16(pairs, pairsLength + 2, 4);
            put32(pairs, pairsLength + 4, AV_FLAG_MIC_PRESENT);
        } else if (micPresent) {
            pairs[avFlagsAt - pairsOffset] |= AV_FLAG_MIC_PRESENT; // the low byte of the little-endian value
        }
        return pairs; // ends in the four zero bytes of MsvAvEOL
    }
}
