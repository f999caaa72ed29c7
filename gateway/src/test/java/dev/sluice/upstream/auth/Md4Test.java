package dev.sluice.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class Md4Test {
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> rfc1320Suite() { // RFC 1320, appendix A.5
        return Stream.of(
                Arguments.of("empty", "", "31d6cfe0d16ae931b73c59d7e0c089c0"),
                Arguments.of("a", "a", "bde52cb31de33e46245e05fbdbd6fb24"),
                Arguments.of("abc", "abc", "a448017aaf21d8525fc10ae87aa6729d"),
                Arguments.of("message digest", "message digest", "d9130a8164549fe818874806e1c7014b"),
                Arguments.of("a to z", "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
                Arguments.of("A-Z a-z 0-9", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                        "043f8582f241db351ce627e153e7f0e4"),
                Arguments.of("8 times 1234567890", "1234567890".repeat(8), "e33b4ddc9c38f2199c3e7b164fcc0536"));
    }

    @ParameterizedTest(name = "RFC 1320 A.5: {0}")
    @MethodSource("rfc1320Suite")
    void rfc1320TestSuite(String name, String input, String expected) {
        assertThat(HEX.formatHex(Md4.digest(input.getBytes(StandardCharsets.US_ASCII)))).isEqualTo(expected);
    }

    /**
     * Inputs of bytes 0, 1, 2, ... around the lengths where padding needs one block or two (55/56) and where
     * blocks end (64, 128). The digests come from an independent implementation: OpenSSL 3's legacy provider
     * ({@code openssl dgst -provider legacy -md4}).
     */
    static Stream<Arguments> paddingBoundaries() {
        return Stream.of(
                Arguments.of("1 byte", 1, "47c61a0fa8738ba77308a8a600f88e4b"),
                Arguments.of("55 bytes: 0x80 and the length fit one block", 55, "cc8a7f2bd608e3eeecb7f121d13bea55"),
                Arguments.of("56 bytes: the length spills into a second block", 56, "b8e94b6408bbfa6ec9805bf21bc05cbd"),
                Arguments.of("57 bytes", 57, "6aec85410412ff54078a9fc72a55ace5"),
                Arguments.of("63 bytes: only 0x80 fits", 63, "54ba4472fcd03e99cf28f90eed9f2ae0"),
                Arguments.of("64 bytes: exactly one block", 64, "2de6578f0e7898fa17acd84b79685d3a"),
                Arguments.of("65 bytes", 65, "3a4f2ca37eebdf6dc99a6155517b74fc"),
                Arguments.of("119 bytes", 119, "9c1067170940ce8f8e4745d362675fab"),
                Arguments.of("120 bytes", 120, "c5bb35660e3d0a286a96ea3aa4922b3c"),
                Arguments.of("121 bytes", 121, "8f3b6351623a0e482b57525474dc703a"),
                Arguments.of("127 bytes", 127, "2067886da4bde10a94b971cd740b0aab"),
                Arguments.of("128 bytes: exactly two blocks", 128, "e1275970eb67d2d996e6e658270aa149"),
                Arguments.of("129 bytes", 129, "86b10799b87d6daea389f034784e421e"),
                Arguments.of("1000 bytes", 1000, "ddef918b4199515fafb1e5fc23e801c3"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paddingBoundaries")
    void digestsAroundThePaddingBoundariesMatchOpenSsl(String name, int length, String expected) {
        assertThat(HEX.formatHex(Md4.digest(counting(length)))).isEqualTo(expected);
    }

    /** The same inputs fed in pieces of every size from 1 to 65 bytes give the one-shot digest. */
    @ParameterizedTest(name = "{0} bytes in pieces of 1..65")
    @ValueSource(ints = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129, 1000})
    void feedingInPiecesGivesTheOneShotDigest(int length) {
        byte[] input = counting(length);
        String oneShot = HEX.formatHex(Md4.digest(input));
        for (int piece = 1; piece <= 65; piece++) {
            Md4 md4 = new Md4();
            for (int at = 0; at < length; at += piece) {
                md4.update(input, at, Math.min(piece, length - at));
            }
            assertThat(HEX.formatHex(md4.finish())).as("pieces of %d", piece).isEqualTo(oneShot);
        }
    }

    @Test
    void ntHashOfPasswordIsTheOneInMsNlmp() { // MS-NLMP 4.2.2.1.2: NTOWFv1("Password")
        assertThat(HEX.formatHex(Md4.digest("Password".getBytes(StandardCharsets.UTF_16LE))))
                .isEqualTo("a4f49c406510bdcab6824ee7c30fd852");
    }

    private static byte[] counting(int length) {
        byte[] b = new byte[length];
        IntStream.range(0, length).forEach(i -> b[i] = (byte) i);
        return b;
    }
}
