package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.ConfigLoader;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.NameSpec;
import dev.sluice.net.HostName;
import dev.sluice.net.IpLiteral;
import java.net.InetSocketAddress;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyTest {

    static Stream<Arguments> names() {
        return Stream.of(
                Arguments.of("github.com", "github.com", true),
                Arguments.of("github.com", "GitHub.COM.", true),
                Arguments.of("github.com", "api.github.com", false),
                Arguments.of("github.com", "notgithub.com", false),
                Arguments.of(".github.com", "github.com", true),
                Arguments.of(".github.com", "api.github.com", true),
                Arguments.of(".github.com", "a.b.github.com", true),
                Arguments.of(".github.com", "evilgithub.com", false),
                Arguments.of("*.github.com", "github.com", false),
                Arguments.of("*.github.com", "api.github.com", true),
                Arguments.of("*.github.com", "a.b.github.com", true),
                Arguments.of("~.*\\.googleapis\\.com", "storage.googleapis.com", true),
                Arguments.of("~.*\\.googleapis\\.com", "storage.googleapis.com.evil", false),
                Arguments.of("~[a-z]+\\.example", "WWW.example", true));
    }

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @MethodSource("names")
    void namePatternsAndTheTrieAgree(String pattern, String name, boolean expected) {
        NameSpec spec = NameSpec.parse(pattern);
        String normalized = HostName.normalize(name);
        assertThat(new NamePattern(spec).matches(normalized)).isEqualTo(expected);
        DomainSet set = new DomainSet();
        set.add(spec, 3);
        BitSet out = new BitSet();
        set.collect(normalized, out);
        assertThat(out.get(3)).isEqualTo(expected);
    }

    @Test
    void onlyARangeNarrowerThanEverythingNamesADestination() throws Exception {
        Policy p = policy("""
                  - { name: metadata, destinations: [169.254.169.254/32], action: splice, upstream: corp }
                  - { name: mixed, destinations: [10.0.0.0/8, 0.0.0.0/0], action: splice, upstream: corp }
                  - { name: all6, destinations: ["::/0"], action: splice, upstream: corp }
                  - { name: none, action: splice, upstream: corp }
                """);
        assertThat(p.rules()).extracting(Rule::namesDestinations).containsExactly(true, false, false, false);
    }

    @Test
    void theDnsResponderClaimsOnlyNamesASpliceOrDirectRuleNamesForThatClient() throws Exception {
        Policy p = policy("""
                  - { name: lab, clients: [10.9.0.0/16], action: reject }
                  - { name: ssh-only, sni: [git.example.com], ports: [22], action: splice, upstream: corp }
                  - { name: web, destinations: [10.0.0.0/8], action: direct }
                  - { name: go, sni: [.golang.org], action: splice, upstream: corp }
                  - { name: intra, sni: [.corp.example], action: direct }
                  - { name: blocked, sni: [.evil.example], action: reject }
                  - { name: default, action: reject }
                """);
        var c = IpLiteral.parse("10.1.2.3");
        assertThat(p.claim(c, "Proxy.Golang.org.")).isEqualTo(NameClaim.ROUTED);
        assertThat(p.claim(c, "wiki.corp.example")).isEqualTo(NameClaim.ROUTED);
        // ports decide per connection: the name is claimed, a connection to another port is then rejected
        assertThat(p.claim(c, "git.example.com")).isEqualTo(NameClaim.ROUTED);
        assertThat(p.claim(c, "x.evil.example")).isEqualTo(NameClaim.REJECTED);
        // no rule names it (the catch-all names nothing): forwarded
        assertThat(p.claim(c, "printer.internal")).isEqualTo(NameClaim.UNCLAIMED);
        // a rule without names that decides every connection of this client comes first
        assertThat(p.claim(IpLiteral.parse("10.9.1.1"), "proxy.golang.org")).isEqualTo(NameClaim.UNCLAIMED);
    }

    private static Policy policy(String rules) throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.yaml", """
                listeners: [{ listen: 127.0.0.1:0 }]
                clients: [10.0.0.0/8, 127.0.0.0/8]
                upstreams: { corp: { proxies: [http://127.0.0.1:3128] } }
                rules:
                """ + rules, null);
        return Policy.compile(c);
    }

    private static Flow flow(String client, String dst, int port, String sni) {
        InetSocketAddress d = dst == null ? null : new InetSocketAddress(IpLiteral.parse(dst), port);
        return new Flow(IpLiteral.parse(client), d, port, sni, List.of(), "https");
    }

    @Test
    void firstMatchWinsInRuleOrderNotPatternSpecificity() throws Exception {
        Policy p = policy("""
                  - { name: broad, sni: [.example.com], action: reject }
                  - { name: narrow, sni: [api.example.com], action: splice, upstream: corp }
                """);
        assertThat(p.decide(flow("10.1.1.1", null, 443, "api.example.com")).ruleName()).isEqualTo("broad");
    }

    @Test
    void allConditionsMustHold() throws Exception {
        Policy p = policy("""
                  - { name: lab, sni: [.example.com], clients: [10.9.0.0/16], ports: [443], action: direct }
                  - { name: rest, sni: [.example.com], action: splice, upstream: corp }
                """);
        assertThat(p.decide(flow("10.9.1.1", null, 443, "a.example.com")).ruleName()).isEqualTo("lab");
        assertThat(p.decide(flow("10.8.1.1", null, 443, "a.example.com")).ruleName()).isEqualTo("rest");
        assertThat(p.decide(flow("10.9.1.1", null, 8443, "a.example.com")).ruleName()).isEqualTo("rest");
    }

    @Test
    void connectionWithoutSniMatchesOnlyRulesWithoutSni() throws Exception {
        Policy p = policy("""
                  - { name: named, sni: [.example.com], action: splice, upstream: corp }
                  - { name: by-address, destinations: [192.0.2.0/24], action: splice, upstream: corp }
                """);
        Decision d = p.decide(flow("10.1.1.1", "192.0.2.7", 443, null));
        assertThat(d.ruleName()).isEqualTo("by-address");
        assertThat(d.target()).isEqualTo("192.0.2.7:443");
        // destinations cannot match when the original destination is unknown
        Decision unknown = p.decide(flow("10.1.1.1", null, 443, null));
        assertThat(unknown.rule()).isNull();
        assertThat(unknown.action().label()).isEqualTo("reject");
    }

    @Test
    void spliceTargetIsTheServerNameNeverTheAddress() throws Exception {
        Policy p = policy("  - { name: go, sni: [proxy.golang.org], action: splice, upstream: corp }\n");
        Decision d = p.decide(flow("10.1.1.1", "203.0.113.5", 443, "Proxy.Golang.Org."));
        assertThat(d.target()).isEqualTo("proxy.golang.org:443");
        assertThat(d.upstream()).isEqualTo("corp");
    }

    @Test
    void clientAllowList() throws Exception {
        Policy p = policy("  - { name: all, action: reject }\n");
        assertThat(p.allowsClient(IpLiteral.parse("10.2.3.4"))).isTrue();
        assertThat(p.allowsClient(IpLiteral.parse("::ffff:10.2.3.4"))).isTrue();
        assertThat(p.allowsClient(IpLiteral.parse("11.2.3.4"))).isFalse();
        assertThat(p.allowsClient(IpLiteral.parse("2001:db8::1"))).isFalse();
    }

    @Test
    void thousandsOfNamesStillFindTheRightRule() throws Exception {
        StringBuilder rules = new StringBuilder();
        for (int r = 0; r < 50; r++) {
            rules.append("  - { name: r").append(r).append(", sni: [");
            for (int n = 0; n < 200; n++) {
                rules.append(n == 0 ? "" : ", ").append(".host").append(n).append(".team").append(r).append(".example");
            }
            rules.append("], action: splice, upstream: corp }\n");
        }
        Policy p = policy(rules.toString());
        assertThat(p.decide(flow("10.0.0.1", null, 443, "x.host199.team42.example")).ruleName()).isEqualTo("r42");
        assertThat(p.decide(flow("10.0.0.1", null, 443, "host0.team0.example")).ruleName()).isEqualTo("r0");
        assertThat(p.decide(flow("10.0.0.1", null, 443, "host200.team0.example")).rule()).isNull();
    }
}
