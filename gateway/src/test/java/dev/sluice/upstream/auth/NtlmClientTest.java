package dev.sluice.upstream.auth;

import static dev.sluice.upstream.auth.NtlmWire.SPEC_AV_PAIRS;
import static dev.sluice.upstream.auth.NtlmWire.SPEC_CHALLENGE;
import static dev.sluice.upstream.auth.NtlmWire.avPairs;
import static dev.sluice.upstream.auth.NtlmWire.challenge;
import static dev.sluice.upstream.auth.NtlmWire.hex;
import static dev.sluice.upstream.auth.NtlmWire.hmacMd5;
import static dev.sluice.upstream.auth.NtlmWire.le16;
import static dev.sluice.upstream.auth.NtlmWire.le32;
import static dev.sluice.upstream.auth.NtlmWire.le64;
import static dev.sluice.upstream.auth.NtlmWire.payload;
import static dev.sluice.upstream.auth.NtlmWire.rc4;
import static dev.sluice.upstream.auth.NtlmWire.utf16;
import static java.util.Arrays.copyOf;
import static java.util.Arrays.copyOfRange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.RealmCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class NtlmClientTest {
    /** MS-NLMP 4.2.1: client challenge aaaaaaaaaaaaaaaa, random session key 55555555...; 4.2.4: time 0. */
    private static final Consumer<byte[]> SPEC_RANDOM = b -> Arrays.fill(b, (byte) (b.length == 8 ? 0xaa : 0x55));
    private static final int SPEC_FLAGS = 0xe28a8233;
    private static final byte[] SERVER_CHALLENGE = hex("0123456789abcdef");
    private static final byte[] SESSION_KEY_55 = hex("55555555555555555555555555555555");
    /** MS-NLMP 4.2.4.1.1, NTOWFv2("Password", "User", "Domain"): ResponseKeyNT (and ResponseKeyLM). */
    private static final byte[] SPEC_RESPONSE_KEY = hex("0c868a403bfd7a93a3001ef22ef02e3f");

    private static NtlmCredentials specUser() {
        return new NtlmCredentials("User", "Domain", "Password", "COMPUTER");
    }

    private static NtlmClient client(NtlmCredentials credentials, long localTime) {
        return new NtlmClient(credentials, SPEC_RANDOM, () -> localTime);
    }

    @Test
    void negotiateAsksForTheDocumentedFlagsAndNamesNoDomainOrWorkstation() {
        assertThat(hex(new NtlmClient(specUser()).negotiate()))
                .isEqualTo("4e544c4d53535000" + "01000000" + "078208e0" + "0000000020000000" + "0000000020000000");
    }

    // ---- MS-NLMP 4.2.4, NTLMv2 authentication

    @Test
    void ntowfv2IsTheSpecResponseKey() { // 4.2.4.1.1
        assertThat(specUser().responseKey()).isEqualTo(SPEC_RESPONSE_KEY);
    }

    @Test
    void authenticateAnswersTheSpecChallengeWithTheSpecResponsesAndKey() throws Exception {
        byte[] type3 = client(specUser(), 0).authenticate(SPEC_CHALLENGE);

        // 4.2.4.2.1 LMv2 response (the spec's challenge has no MsvAvTimestamp, so LMv2 is sent)
        assertThat(hex(payload(type3, 12))).isEqualTo("86c35097ac9cec102554764a57cccc19" + "aaaaaaaaaaaaaaaa");
        // 4.2.4.2.2 NTLMv2 response: NTProofStr, then temp (4.2.4.1.3) with the server's AV pairs unchanged
        byte[] nt = payload(type3, 20);
        assertThat(hex(copyOf(nt, 16))).isEqualTo("68cd0ab851e51c96aabc927bebef6a1c");
        assertThat(hex(copyOfRange(nt, 16, 44)))
                .isEqualTo("0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000");
        assertThat(copyOfRange(nt, 44, nt.length)).isEqualTo(concat(SPEC_AV_PAIRS, new byte[4]));
        // 4.2.4.1.2 SessionBaseKey, and 4.2.4.2.3 the random session key encrypted with it (KEY_EXCH)
        byte[] sessionBaseKey = hex("8de40ccadbc14a82f15cb0ad0de95ca3");
        assertThat(hmacMd5(SPEC_RESPONSE_KEY, copyOf(nt, 16))).isEqualTo(sessionBaseKey);
        assertThat(hex(payload(type3, 52))).isEqualTo("c5dad2544fc9799094ce1ce90bc9d03e");
        assertThat(rc4(sessionBaseKey, payload(type3, 52))).isEqualTo(SESSION_KEY_55);
        // the names and flags of 4.2.4.3; no MIC without a server timestamp
        assertThat(payload(type3, 28)).isEqualTo(utf16("Domain"));
        assertThat(payload(type3, 36)).isEqualTo(utf16("User"));
        assertThat(payload(type3, 44)).isEqualTo(utf16("COMPUTER"));
        assertThat(Integer.toHexString(le32(type3, 60))).isEqualTo("e0888201");
        assertThat(copyOfRange(type3, 72, 88)).isEqualTo(new byte[16]);
    }

    // ---- with and without the server's MsvAvTimestamp

    @Test
    void withAServerTimestampTheLmResponseIsZeroMsvAvFlagsIsAddedAndTheMicSignsAllThreeMessages() throws Exception {
        long serverTime = 0x01d9_5a3c_1234_5678L;
        byte[] pairs = avPairs(2, utf16("Domain"), 1, utf16("Server"), 7, le64(serverTime));
        byte[] challenge = challenge(SPEC_FLAGS, pairs);
        NtlmClient client = client(specUser(), 42);
        byte[] negotiate = client.negotiate();
        byte[] type3 = client.authenticate(challenge);

        assertThat(payload(type3, 12)).isEqualTo(new byte[24]);
        byte[] nt = payload(type3, 20);
        byte[] temp = copyOfRange(nt, 16, nt.length);
        assertThat(copyOfRange(temp, 8, 16)).as("the server's time, not ours").isEqualTo(le64(serverTime));
        assertThat(copyOfRange(temp, 28, temp.length - 4))
                .isEqualTo(concat(copyOf(pairs, pairs.length - 4), hex("06000400" + "02000000"), new byte[4]));
        assertThat(copyOf(nt, 16)).isEqualTo(hmacMd5(SPEC_RESPONSE_KEY, SERVER_CHALLENGE, temp));

        byte[] sessionBaseKey = hmacMd5(SPEC_RESPONSE_KEY, copyOf(nt, 16));
        byte[] exportedSessionKey = rc4(sessionBaseKey, payload(type3, 52));
        assertThat(exportedSessionKey).isEqualTo(SESSION_KEY_55);
        assertThat(copyOfRange(type3, 72, 88)).isEqualTo(mic(exportedSessionKey, negotiate, challenge, type3));
    }

    @Test
    void theMicCoversTheChallengeExactlyAsReceivedTrailingBytesIncluded() throws Exception {
        byte[] challenge = concat(challenge(SPEC_FLAGS, avPairs(7, le64(1))), hex("deadbeef"));
        byte[] type3 = client(specUser(), 0).authenticate(challenge);
        byte[] nt = payload(type3, 20);
        byte[] exportedSessionKey = rc4(hmacMd5(SPEC_RESPONSE_KEY, copyOf(nt, 16)), payload(type3, 52));
        byte[] negotiate = new NtlmClient(specUser()).negotiate();
        assertThat(copyOfRange(type3, 72, 88))
                .isEqualTo(mic(exportedSessionKey, negotiate, challenge, type3))
                .isNotEqualTo(mic(exportedSessionKey, negotiate, copyOf(challenge, challenge.length - 4), type3));
    }

    @Test
    void theServersOwnMsvAvFlagsGetsTheMicBitInsteadOfASecondPair() throws Exception {
        byte[] pairs = avPairs(6, hex("01000000"), 7, le64(1));
        byte[] type3 = client(specUser(), 0).authenticate(challenge(SPEC_FLAGS, pairs));
        byte[] nt = payload(type3, 20);
        assertThat(hex(copyOfRange(nt, 44, nt.length - 4)))
                .isEqualTo("06000400" + "03000000" + "07000800" + "0100000000000000" + "00000000");
    }

    @Test
    void withoutKeyExchangeTheMicIsKeyedWithTheSessionBaseKeyAndNoKeyIsSent() throws Exception {
        byte[] challenge = challenge(SPEC_FLAGS & ~0x40000000, avPairs(7, le64(1)));
        NtlmClient client = client(specUser(), 0);
        byte[] type3 = client.authenticate(challenge);
        byte[] sessionBaseKey = hmacMd5(SPEC_RESPONSE_KEY, copyOf(payload(type3, 20), 16));
        assertThat(payload(type3, 52)).isEmpty();
        assertThat(le32(type3, 60) & 0x40000000).isZero();
        assertThat(copyOfRange(type3, 72, 88)).isEqualTo(mic(sessionBaseKey, client.negotiate(), challenge, type3));
    }

    @Test
    void withoutAServerTimestampTheLocalTimeAndAnLmv2ResponseAreSentAndNoMsvAvFlagsOrMic() throws Exception {
        long localTime = 0x01da_0000_0000_0001L;
        byte[] type3 = client(specUser(), localTime).authenticate(challenge(SPEC_FLAGS, SPEC_AV_PAIRS));
        byte[] clientChallenge = hex("aaaaaaaaaaaaaaaa");
        assertThat(payload(type3, 12))
                .isEqualTo(concat(hmacMd5(SPEC_RESPONSE_KEY, SERVER_CHALLENGE, clientChallenge), clientChallenge));
        byte[] nt = payload(type3, 20);
        assertThat(copyOfRange(nt, 24, 32)).isEqualTo(le64(localTime));
        assertThat(copyOfRange(nt, 44, nt.length)).isEqualTo(concat(SPEC_AV_PAIRS, new byte[4]));
        assertThat(copyOfRange(type3, 72, 88)).isEqualTo(new byte[16]);
    }

    @Test
    void aChallengeWithoutTargetInfoGetsAResponseWithMsvAvEolAlone() throws Exception {
        byte[] type3 = client(specUser(), 7).authenticate(challenge(SPEC_FLAGS, null));
        byte[] nt = payload(type3, 20);
        assertThat(nt).hasSize(16 + 28 + 4 + 4);
        assertThat(copyOfRange(nt, 44, nt.length)).isEqualTo(new byte[8]);
        assertThat(payload(type3, 12)).hasSize(24).isNotEqualTo(new byte[24]);
    }

    // ---- string encodings

    @Test
    void anOemOnlyServerGetsAsciiNamesAndTheOemFlag() throws Exception {
        byte[] type3 = client(specUser(), 0).authenticate(challenge(SPEC_FLAGS & ~1, SPEC_AV_PAIRS));
        assertThat(le32(type3, 60) & 3).isEqualTo(2);
        assertThat(new String(payload(type3, 28), StandardCharsets.US_ASCII)).isEqualTo("Domain");
        assertThat(new String(payload(type3, 36), StandardCharsets.US_ASCII)).isEqualTo("User");
        assertThat(new String(payload(type3, 44), StandardCharsets.US_ASCII)).isEqualTo("COMPUTER");
    }

    @Test
    void aNonAsciiUserIsSentInUnicodeAndRefusedWithAReasonWhenTheServerWantsOem() throws Exception {
        NtlmCredentials juergen = new NtlmCredentials("Jürgen", "Domain", "Password", "COMPUTER");
        byte[] type3 = client(juergen, 0).authenticate(SPEC_CHALLENGE);
        assertThat(payload(type3, 36)).isEqualTo(utf16("Jürgen"));
        assertThatThrownBy(() -> client(juergen, 0).authenticate(challenge(SPEC_FLAGS & ~1, SPEC_AV_PAIRS)))
                .isExactlyInstanceOf(AuthException.class)
                .hasMessage("NTLM: the proxy wants OEM strings and the user name of Domain\\Jürgen is not ASCII");
    }

    // ---- against the JDK's own NTLM server (com.sun.security.ntlm.Server behind SASL), a second implementation

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "the right password,   User,  Domain, Password,  accepted",
        "the user in capitals, USER,  Domain, Password,  accepted",
        "a wrong password,     User,  Domain, Passw0rd,  None of LM and NTLM verified",
        "a wrong user,         Usr,   Domain, Password,  Unknown user",
        "a wrong domain,       User,  Domian, Password,  Unknown user"})
    void theJdkServerAcceptsOnlyTheRightAccount(String name, String user, String domain, String password,
            String outcome) throws Exception {
        assertThat(jdkServerSays(new NtlmCredentials(user, domain, password, null), UnaryOperator.identity()))
                .isEqualTo(outcome);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "NTLMv2 response alone (LM emptied), Password, 12, accepted",
        "LMv2 response alone (NT emptied),   Password, 20, accepted",
        "NTLMv2 response alone with a wrong password, Passw0rd, 12, None of LM and NTLM verified"})
    void theJdkServerChecksEachResponseOnItsOwn(String name, String password, int emptied, String outcome)
            throws Exception {
        UnaryOperator<byte[]> empty = type3 -> {
            byte[] changed = type3.clone();
            le16(changed, emptied, 0);
            le16(changed, emptied + 2, 0);
            return changed;
        };
        assertThat(jdkServerSays(new NtlmCredentials("User", "Domain", password, "WS"), empty)).isEqualTo(outcome);
    }

    /** negotiate, the JDK's challenge, authenticate: "accepted" or the server's reason for refusing. */
    private static String jdkServerSays(NtlmCredentials credentials, UnaryOperator<byte[]> change) throws Exception {
        SaslServer server = Sasl.createSaslServer("NTLM", "HTTP", "proxy", Map.of(
                "com.sun.security.sasl.ntlm.version", "NTLMv2", // checks LMv2 and NTLMv2 only, never v1
                "com.sun.security.sasl.ntlm.domain", "Domain"), NtlmClientTest::knowsUserInDomain);
        NtlmClient client = new NtlmClient(credentials);
        byte[] challenge = server.evaluateResponse(client.negotiate());
        try {
            assertThat(server.evaluateResponse(change.apply(client.authenticate(challenge)))).isNull();
        } catch (SaslException refused) {
            return refused.getCause().getMessage();
        }
        assertThat(server.isComplete()).isTrue();
        assertThat(server.getAuthorizationID()).isEqualTo(credentials.username());
        return "accepted";
    }

    /** A directory with one account, Domain\User (any case of the user name), password "Password". */
    private static void knowsUserInDomain(Callback[] callbacks) {
        String realm = null;
        String user = null;
        for (Callback callback : callbacks) {
            if (callback instanceof RealmCallback r) {
                realm = r.getDefaultText();
            } else if (callback instanceof NameCallback n) {
                user = n.getDefaultName();
            } else if (callback instanceof PasswordCallback p
                    && "Domain".equals(realm) && "user".equalsIgnoreCase(user)) {
                p.setPassword("Password".toCharArray());
            }
        }
    }

    // ---- hostile challenges

    private static final byte[] GOOD = challenge(SPEC_FLAGS, SPEC_AV_PAIRS); // 96 bytes: name at 48, info at 60

    static Stream<Arguments> hostileChallenges() {
        byte[] pairs = avPairs(2, utf16("Domain"), 1, utf16("Server"));
        return Stream.of(
                Arguments.of("empty", new byte[0], "not an NTLM challenge: empty"),
                Arguments.of("null", null, "not an NTLM challenge: empty"),
                Arguments.of("an HTTP response",
                        "HTTP/1.1 407 Proxy Authentication Required".getBytes(StandardCharsets.US_ASCII),
                        "not an NTLM challenge: signature 48 54 54 50 2f 31 2e 31, want NTLMSSP\\0"),
                Arguments.of("a wrong byte in the signature", with(GOOD, m -> m[7] = '!'),
                        "not an NTLM challenge: signature 4e 54 4c 4d 53 53 50 21, want NTLMSSP\\0"),
                Arguments.of("the signature's first 3 bytes", "NTL".getBytes(StandardCharsets.US_ASCII),
                        "NTLM challenge: truncated at 3 bytes, the header needs 32"),
                Arguments.of("a header cut at 31 bytes", copyOf(GOOD, 31),
                        "NTLM challenge: truncated at 31 bytes, the header needs 32"),
                Arguments.of("type 3 (an AUTHENTICATE)", with(GOOD, m -> le32(m, 8, 3)),
                        "not an NTLM challenge: message type 3, want 2"),
                Arguments.of("type 0xffffffff", with(GOOD, m -> le32(m, 8, -1)),
                        "not an NTLM challenge: message type 4294967295, want 2"),
                Arguments.of("TARGET_INFO set, header cut at 40 bytes", copyOf(GOOD, 40),
                        "NTLM challenge: truncated at 40 bytes, the header with target info needs 48"),
                Arguments.of("target info offset 70000", with(GOOD, m -> le32(m, 44, 70000)),
                        "NTLM challenge: target info offset 70000 beyond the message (96 bytes)"),
                Arguments.of("target info offset negative as a signed int", with(GOOD, m -> le32(m, 44, -16)),
                        "NTLM challenge: target info offset 4294967280 beyond the message (96 bytes)"),
                Arguments.of("target info length 65535", with(GOOD, m -> le16(m, 40, 0xffff)),
                        "NTLM challenge: target info (offset 60, length 65535) runs past the message (96 bytes)"),
                Arguments.of("target info one byte too long", with(GOOD, m -> le16(m, 40, 37)),
                        "NTLM challenge: target info (offset 60, length 37) runs past the message (96 bytes)"),
                Arguments.of("target info overlapping the header", with(GOOD, m -> le32(m, 44, 8)),
                        "NTLM challenge: target info (offset 8, length 36) overlaps the 48-byte header"),
                Arguments.of("target name offset beyond the end", with(GOOD, m -> le32(m, 16, 1000)),
                        "NTLM challenge: target name offset 1000 beyond the message (96 bytes)"),
                Arguments.of("target name inside the target info fields", with(GOOD, m -> le32(m, 16, 36)),
                        "NTLM challenge: target name (offset 36, length 12) overlaps the 48-byte header"),
                Arguments.of("AV pairs without MsvAvEOL", challenge(SPEC_FLAGS, copyOf(pairs, pairs.length - 4)),
                        "NTLM challenge: target info (32 bytes) ends without MsvAvEOL"),
                Arguments.of("AV pair header cut short", with(GOOD, m -> le16(m, 40, 18)),
                        "NTLM challenge: target info (18 bytes) ends without MsvAvEOL"),
                Arguments.of("AV pair length past the target info", with(GOOD, m -> le16(m, 60 + 18, 200)),
                        "NTLM challenge: target info pair at 16 (AvId 1, length 200) runs past the target info"
                                + " (36 bytes)"),
                Arguments.of("AV pair length past the target info, not past the message",
                        with(concat(GOOD, new byte[64]), m -> le16(m, 60 + 18, 40)),
                        "NTLM challenge: target info pair at 16 (AvId 1, length 40) runs past the target info"
                                + " (36 bytes)"),
                Arguments.of("AV pair length past the message", with(GOOD, m -> le16(m, 60 + 2, 0xffff)),
                        "NTLM challenge: target info pair at 0 (AvId 2, length 65535) runs past the target info"
                                + " (36 bytes)"),
                Arguments.of("MsvAvEOL with a length", challenge(SPEC_FLAGS, concat(copyOf(pairs, 32),
                        hex("0000040000000000"))), "NTLM challenge: MsvAvEOL with length 4, want 0"),
                Arguments.of("MsvAvTimestamp of 4 bytes", challenge(SPEC_FLAGS, avPairs(7, new byte[4])),
                        "NTLM challenge: MsvAvTimestamp with length 4, want 8"),
                Arguments.of("MsvAvTimestamp twice", challenge(SPEC_FLAGS, avPairs(7, le64(1), 7, le64(2))),
                        "NTLM challenge: MsvAvTimestamp appears twice in the target info"),
                Arguments.of("MsvAvFlags of 2 bytes", challenge(SPEC_FLAGS, avPairs(6, new byte[2])),
                        "NTLM challenge: MsvAvFlags with length 2, want 4"),
                Arguments.of("neither Unicode nor OEM", challenge(SPEC_FLAGS & ~3, SPEC_AV_PAIRS),
                        "NTLM challenge: server chose neither Unicode nor OEM strings (flags 0xe28a8230)"),
                Arguments.of("64 KiB + 1 bytes", concat(GOOD, new byte[65537 - GOOD.length]),
                        "NTLM challenge: 65537 bytes, over the 65536-byte limit"),
                Arguments.of("target info too big for an NTLMv2 response",
                        challenge(SPEC_FLAGS, "", avPairs(0x10, new byte[65480])),
                        "NTLM challenge: target info of 65484 bytes leaves no room for the NTLMv2 response"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileChallenges")
    void aHostileChallengeIsRefusedWithItsReason(String name, byte[] challenge, String reason) {
        assertThatThrownBy(() -> client(specUser(), 0).authenticate(challenge))
                .isExactlyInstanceOf(AuthException.class)
                .hasMessage(reason);
    }

    @Test
    void theLargestTargetInfoThatFitsGivesAnNtResponseOfExactly65535Bytes() throws Exception {
        byte[] pairs = avPairs(7, le64(1), 0x10, new byte[65459]); // 65475 bytes before MsvAvEOL
        byte[] type3 = client(specUser(), 0).authenticate(challenge(SPEC_FLAGS, "", pairs));
        assertThat(payload(type3, 20)).hasSize(65535);
    }

    /** Seeded random cuts, byte changes and field rewrites of good challenges: no other exception escapes. */
    @Test
    void mangledChallengesGiveAMessageOrAnAuthExceptionAndNothingElse() {
        byte[][] seeds = {SPEC_CHALLENGE, GOOD, challenge(SPEC_FLAGS, avPairs(6, new byte[4], 7, le64(1))),
                challenge(0x90205, null)};
        Random random = new Random(1320);
        NtlmClient client = client(specUser(), 0);
        int refused = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] m = seeds[i % seeds.length].clone();
            switch (random.nextInt(3)) {
                case 0 -> m = copyOf(m, random.nextInt(m.length + 8));
                case 1 -> m[random.nextInt(m.length)] = (byte) random.nextInt();
                default -> le16(m, new int[] {12, 16, 18, 40, 44, 46, 48, 50, 62, 66}[random.nextInt(10)]
                        % (m.length - 1), random.nextInt());
            }
            try {
                assertThat(client.authenticate(m)).startsWith(copyOf(SPEC_CHALLENGE, 8));
            } catch (AuthException expected) {
                refused++;
            }
        }
        assertThat(refused).as("refused of 5000").isBetween(500, 4_500);
    }

    private static byte[] mic(byte[] key, byte[] negotiate, byte[] challenge, byte[] type3) throws Exception {
        byte[] zeroed = type3.clone();
        Arrays.fill(zeroed, 72, 88, (byte) 0);
        return hmacMd5(key, negotiate, challenge, zeroed);
    }

    private static byte[] with(byte[] message, Consumer<byte[]> change) {
        byte[] changed = message.clone();
        change.accept(changed);
        return changed;
    }

    private static byte[] concat(byte[]... parts) {
        byte[] all = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
