package dev.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.AuthScheme;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Proxy-Authenticate values as proxies send them: one challenge per field, several per field, with params. */
class ChallengeTest {

    static Stream<Arguments> fields() {
        return Stream.of(
                Arguments.of("bare schemes, one per field", List.of("Negotiate", "NTLM"),
                        List.of(new Challenge(AuthScheme.NEGOTIATE, "Negotiate", null),
                                new Challenge(AuthScheme.NTLM, "NTLM", null))),
                Arguments.of("an NTLM challenge token", List.of("NTLM TlRMTVNTUAACAAAA=="),
                        List.of(new Challenge(AuthScheme.NTLM, "NTLM", "TlRMTVNTUAACAAAA=="))),
                Arguments.of("Basic with a realm holding a comma", List.of("Basic realm=\"a, b\", charset=\"UTF-8\""),
                        List.of(new Challenge(AuthScheme.BASIC, "Basic", null))),
                Arguments.of("several challenges in one field",
                        List.of("Basic realm=\"corp\", Negotiate, NTLM"),
                        List.of(new Challenge(AuthScheme.BASIC, "Basic", null),
                                new Challenge(AuthScheme.NEGOTIATE, "Negotiate", null),
                                new Challenge(AuthScheme.NTLM, "NTLM", null))),
                Arguments.of("scheme names in any case", List.of("nEgOtIaTe YIIB+w=="),
                        List.of(new Challenge(AuthScheme.NEGOTIATE, "nEgOtIaTe", "YIIB+w=="))),
                Arguments.of("a scheme Sluice does not speak", List.of("Digest realm=\"x\", nonce=\"y\""),
                        List.of(new Challenge(null, "Digest", null))),
                Arguments.of("garbage as a scheme is shown as ?", List.of("\u0000\u001b[31m x"),
                        List.of(new Challenge(null, "?", "x"))),
                Arguments.of("empty", List.of("", " , "), List.of()));
    }

    @org.junit.jupiter.api.Test
    void namesForMessagesAreFewShortAndExact() {
        assertThat(Challenge.names(Challenge.parse(List.of("NTLMX", "NTLM", "NTLM")))).isEqualTo("NTLMX, NTLM");
        assertThat(Challenge.names(Challenge.parse(List.of("A".repeat(1000), "B, C, D, E, F, G"))))
                .isEqualTo("A".repeat(32) + "..., B, C, D, E and 2 more");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fields")
    void parses(String name, List<String> values, List<Challenge> expected) {
        assertThat(Challenge.parse(values)).isEqualTo(expected);
    }
}
