package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalTargetsTest {
    static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 8443);
    static final InetSocketAddress ADMIN = new InetSocketAddress("127.0.0.1", 9091);
    final LocalTargets targets = new LocalTargets(List.of(LISTENER), () -> ADMIN,
            Set.of(address("192.0.2.1")));

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}:{1} unnamed -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "127.0.0.1       | 8443 | is the gateway's own listener (a loop)",
        "127.0.0.1       | 9091 | is the gateway's admin listener",
        "127.0.0.1       | 443  | is a loopback address",
        "127.1.2.3       | 443  | is a loopback address",
        "::1             | 443  | is a loopback address",
        "::ffff:127.0.0.1 | 443 | is a loopback address",
        "169.254.169.254 | 80   | is a link-local address",
        "fe80::1         | 443  | is a link-local address",
        "0.0.0.0         | 443  | is a wildcard address",
        "0.1.2.3         | 443  | is a wildcard address",
        "::              | 443  | is a wildcard address",
        "224.0.0.1       | 443  | is a multicast address",
        "ff02::1         | 443  | is a multicast address",
        "192.0.2.1       | 443  | is an address of the gateway itself",
        "10.1.2.3        | 443  | -",
        "2001:db8::1     | 443  | -",
        "198.51.100.7    | 8443 | -",
    })
    void unnamedLocalDestinationsAreRefused(String ip, int port, String why) {
        assertThat(targets.refusal(new InetSocketAddress(address(ip), port), false)).isEqualTo(why);
    }

    @ParameterizedTest(name = "{0}:{1} named -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "127.0.0.1       | 8443 | is the gateway's own listener (a loop)",
        "127.0.0.1       | 9091 | is the gateway's admin listener",
        "127.0.0.1       | 443  | -",
        "169.254.169.254 | 80   | -",
        "192.0.2.1       | 443  | -",
    })
    void aRuleThatNamesADestinationOpensAllButTheGatewaysOwnServices(String ip, int port, String why) {
        assertThat(targets.refusal(new InetSocketAddress(address(ip), port), true)).isEqualTo(why);
    }

    @ParameterizedTest(name = "{0} named={1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "localhost         | false | refused: server name localhost is this host (loopback, RFC 6761)",
        "api.localhost     | false | refused: server name api.localhost is this host (loopback, RFC 6761)",
        "localhost         | true  | -",
        "notlocalhost      | false | -",
        "localhost.example | false | -",
    })
    void localhostNamesAreThisHost(String name, boolean named, String why) {
        assertThat(LocalTargets.refusal(name, named)).isEqualTo(why);
    }

    @ParameterizedTest(name = "listener on {0}, tunnel to {1}:8443 -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "0.0.0.0   | 192.0.2.1  | is the gateway's own listener (a loop)",
        "0.0.0.0   | 127.0.0.1  | is the gateway's own listener (a loop)",
        "0.0.0.0   | 10.1.2.3   | -",
        "::        | ::1        | is the gateway's own listener (a loop)",
        "192.0.2.1 | 192.0.2.1  | is the gateway's own listener (a loop)",
        "192.0.2.1 | 127.0.0.1  | -",
    })
    void aListenerIsReachedByEveryAddressItIsBoundTo(String bound, String target, String why) {
        LocalTargets wildcard = new LocalTargets(List.of(new InetSocketAddress(address(bound), 8443)),
                () -> null, Set.of(address("192.0.2.1")));
        assertThat(wildcard.refusal(new InetSocketAddress(address(target), 8443), true)).isEqualTo(why);
    }
}
