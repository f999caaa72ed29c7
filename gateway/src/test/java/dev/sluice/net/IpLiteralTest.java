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

    /** RFC 5952 section 4 (and its examples), the form the access log, explain and the status page write. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "fd77:1:0:0:0:0:0:2, fd77:1::2", "2001:DB8:0:0:0:0:0:1, 2001:db8::1", "2001:0db8::0001, 2001:db8::1",
        "0:0:0:0:0:0:0:0, ::", "0:0:0:0:0:0:0:1, ::1", "1:0:0:0:0:0:0:0, 1::",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // one zero group stays 0
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1", // the longest run
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // the first of two equal runs
        "fe80:0:0:0:0:0:0:1, fe80::1", "::ffff:192.0.2.1, 192.0.2.1", // a mapped address is IPv4 to Java
        "192.0.2.7, 192.0.2.7",
    })
    void formatsAsRfc5952(String literal, String expected) {
        assertThat(IpLiteral.format(IpLiteral.parse(literal))).isEqualTo(expected);
        assertThat(IpLiteral.parse(IpLiteral.format(IpLiteral.parse(literal)))).isEqualTo(IpLiteral.parse(literal));
    }
}
