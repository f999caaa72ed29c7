package dev.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpLiteralTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, true", "127.0.0.1., true", "127.1, true", "2130706433, true", "0x7f.0.0.1, true",
        "0X7F.1, true", "10.0.0.256, true", "::1, true", "[::1], true", "foo.123, true",
        "example.com, false", "1.2.3.4.nip.io, false", "localhost, false", "0x.example, false", "a1, false",
        "123abc, false",
    })
    void aServerNameThatIsReallyAnAddress(String name, boolean address) {
        assertThat(IpLiteral.isAddress(name)).isEqualTo(address);
    }
}
