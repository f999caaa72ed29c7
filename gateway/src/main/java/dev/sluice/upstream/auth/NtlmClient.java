package dev.sluice.upstream.auth;

import static dev.sluice.upstream.auth.LittleEndian.put16;
import static dev.sluice.upstream.auth.LittleEndian.put32;
import static dev.sluice.upstream.auth.LittleEndian.put64;
import static dev.sluice.upstream.auth.NtlmCrypto.hmacMd5;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One NTLM authentication (one per proxy connection): NEGOTIATE out, CHALLENGE in, AUTHENTICATE out, with NTLMv2
 * responses only (MS-NLMP 3.1.5.1 and 3.3.2; never NTLMv1 or LM). Not thread-safe; cheap to create.
 *
 * <p>When the challenge carries an MsvAvTimestamp, the client challenge uses the server's time, the LM response is
 * 24 zero bytes, MsvAvFlags says a MIC is present and the MIC signs the three messages. Without one, it uses the
 * local time and sends the LMv2 response, and no MIC. With KEY_EXCH negotiated, the exported session key is
 * random and travels RC4-encrypted under the session base key.
 */
public final class NtlmClient {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** 100-nanosecond ticks from 1601-01-01 (FILETIME's epoch) to 1970-01-01. */
    private static final long FILETIME_AT_UNIX_EPOCH = 116_444_736_000_000_000L;
    private static final byte[] SIGNATURE = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    private static final byte[] NEGOTIATE = negotiateMessage();
    /** Fixed part of the AUTHENTICATE_MESSAGE: six payload fields, flags, Version (zero), MIC. */
    private static final int AUTHENTICATE_HEADER = 88;
    private static final int MIC_AT = 72;
    /** Type 3 flags: what both sides asked for; TARGET_INFO echoed as Windows clients do. */
    private static final int AUTHENTICATE_FLAGS = NtlmFlags.NEGOTIATE | NtlmFlags.TARGET_INFO;
    /** NTProofStr, then the client challenge's fixed 28 bytes before the AV pairs, and 4 after them. */
    private static final int RESPONSE_OVERHEAD = 16 + 28 + 4;

    private final NtlmCredentials credentials;
    private final Consumer<byte[]> random;
    private final LongSupplier fileTime;

    /** A client with a random client challenge and session key, and the system clock. */
    public NtlmClient(NtlmCredentials credentials) {
        this(credentials, RANDOM::nextBytes, () -> System.currentTimeMillis() * 10_000 + FILETIME_AT_UNIX_EPOCH);
    }

    /**
     * For tests: {@code random} fills the 8-byte client challenge, then (with KEY_EXCH) the 16-byte session key;
     * {@code fileTime} gives the time as a FILETIME when the server sends none.
     */
    NtlmClient(NtlmCredentials credentials, Consumer<byte[]> random, LongSupplier fileTime) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.random = random;
        this.fileTime = fileTime;
    }

    /** The NEGOTIATE_MESSAGE (type 1), the same bytes for every account: flags only, no domain or workstation. */
    public byte[] negotiate() {
        return NEGOTIATE.clone();
    }

    /**
     * The AUTHENTICATE_MESSAGE (type 3) answering {@code challengeMessage}.
     *
     * @throws AuthException when the challenge is malformed, or asks for something this client cannot give
     */
    public byte[] authenticate(byte[] challengeMessage) throws AuthException {
        NtlmChallenge challenge = NtlmChallenge.parse(challengeMessage);
        int flags = negotiatedFlags(challenge.flags());
        boolean unicode = (flags & NtlmFlags.UNICODE) != 0;
        byte[][] names = new byte[3][];
        for (int i = 0; i < names.length; i++) {
            names[i] = credentials.name(i, unicode);
            if (names[i] == null) {
                throw new AuthException("NTLM: the proxy wants OEM strings and the " + NtlmCredentials.NAMES[i]
                        + " of " + credentials.account() + " is not ASCII");
            }
        }
        // the NTLMv2 response at its largest (with an added MsvAvFlags and MsvAvEOL) must fit a 16-bit length
        if (RESPONSE_OVERHEAD + challenge.avPairsLength() + 8 + 4 > 0xffff) {
            throw new AuthException("NTLM challenge: target info of " + challenge.avPairsLength()
                    + " bytes leaves no room for the NTLMv2 response");
        }
        boolean mic = challenge.hasTimestamp();
        byte[] serverChallenge = challenge.serverChallenge();
        byte[] clientChallenge = new byte[8];
        random.accept(clientChallenge);
        byte[] key = credentials.responseKey();

        byte[] temp = clientChallengeBlob(mic ? challenge.timestamp() : fileTime.getAsLong(), clientChallenge,
                challenge.responseAvPairs(mic));
        byte[] ntProofStr = hmacMd5(key, serverChallenge, temp);
        byte[] ntResponse = concat(ntProofStr, temp);
        byte[] lmResponse = mic
                ? new byte[24]
                : concat(hmacMd5(key, serverChallenge, clientChallenge), clientChallenge); // LMv2, 2.2.2.4
        byte[] sessionBaseKey = hmacMd5(key, ntProofStr); // also the KeyExchangeKey, with NTLMv2
        byte[] exportedSessionKey = sessionBaseKey;
        byte[] encryptedSessionKey = new byte[0];
        if ((flags & NtlmFlags.KEY_EXCH) != 0) {
            exportedSessionKey = new byte[16];
            random.accept(exportedSessionKey);
            encryptedSessionKey = NtlmCrypto.rc4(sessionBaseKey, exportedSessionKey);
        }

        byte[] message = authenticateMessage(flags, lmResponse, ntResponse, names, encryptedSessionKey);
        if (mic) { // MS-NLMP 3.1.5.1.2, over the three messages with the MIC field still zero
            byte[] value = hmacMd5(exportedSessionKey, NEGOTIATE, challenge.bytes(), message);
            System.arraycopy(value, 0, message, MIC_AT, value.length);
        }
        return message;
    }

    /** Both sides' flags, with one string encoding: Unicode if the server set it, else OEM (MS-NLMP 2.2.2.5). */
    private static int negotiatedFlags(int challengeFlags) throws AuthException {
        int flags = challengeFlags & AUTHENTICATE_FLAGS;
        if ((flags & NtlmFlags.UNICODE) != 0) {
            return flags & ~NtlmFlags.OEM;
        }
        if ((flags & NtlmFlags.OEM) == 0) {
            throw new AuthException(String.format(
                    "NTLM challenge: server chose neither Unicode nor OEM strings (flags 0x%08x)", challengeFlags));
        }
        return flags;
    }

    /** The "temp" of MS-NLMP 3.3.2 (NTLMv2_CLIENT_CHALLENGE, 2.2.2.7), with the MsvAvEOL-terminated AV pairs. */
    private static byte[] clientChallengeBlob(long time, byte[] clientChallenge, byte[] avPairs) {
        byte[] temp = new byte[28 + avPairs.length + 4];
        temp[0] = 1; // RespType
        temp[1] = 1; // HiRespType; then six reserved zero bytes
        put64(temp, 8, time);
        System.arraycopy(clientChallenge, 0, temp, 16, 8); // then four reserved zero bytes
        System.arraycopy(avPairs, 0, temp, 28, avPairs.length); // then four trailing zero bytes
        return temp;
    }

    /** MS-NLMP 2.2.1.3; payloads in the order of the spec's example: domain, user, workstation, LM, NT, key. */
    private static byte[] authenticateMessage(int flags, byte[] lm, byte[] nt, byte[][] names, byte[] sessionKey) {
        byte[][] payloads = {names[NtlmCredentials.DOMAIN], names[NtlmCredentials.USER],
            names[NtlmCredentials.WORKSTATION], lm, nt, sessionKey};
        int[] fields = {28, 36, 44, 12, 20, 52};
        int length = AUTHENTICATE_HEADER;
        for (byte[] payload : payloads) {
            length += payload.length;
        }
        byte[] message = new byte[length];
        System.arraycopy(SIGNATURE, 0, message, 0, SIGNATURE.length);
        put32(message, 8, 3);
        int at = AUTHENTICATE_HEADER;
        for (int i = 0; i < payloads.length; i++) {
            put16(message, fields[i], payloads[i].length);
            put16(message, fields[i] + 2, payloads[i].length);
            put32(message, fields[i] + 4, at);
            System.arraycopy(payloads[i], 0, message, at, payloads[i].length);
            at += payloads[i].length;
        }
        put32(message, 60, flags); // 64..71 Version stays zero (VERSION is not negotiated), 72..87 the MIC
        return message;
    }

    /** MS-NLMP 2.2.1.1 without Version: signature, type 1, flags, empty domain and workstation fields. */
    private static byte[] negotiateMessage() {
        byte[] message = new byte[32];
        System.arraycopy(SIGNATURE, 0, message, 0, SIGNATURE.length);
        put32(message, 8, 1);
        put32(message, 12, NtlmFlags.NEGOTIATE);
        put32(message, 20, 32);
        put32(message, 28, 32);
        return message;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] ab = new byte[a.length + b.length];
        System.arraycopy(a, 0, ab, 0, a.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }
}
