package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
    /**
     * The configuration as the core issue writes it, but for its password file (there {@code /etc/sluice/...}):
     * each test puts a path of its own temporary directory in place of PASSWORD_FILE.
     */
    static final String ISSUE_EXAMPLE = """
            listeners:
              - name: https
                listen: 0.0.0.0:8443        # iptables REDIRECT sends port-443 traffic here
                transparent: off            # off | redirect | tproxy
                peek: tls                   # read the SNI from the ClientHello
                default_port: 443           # CONNECT port when the original destination is unknown
            clients: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8]   # who may use the gateway
            upstreams:
              corp:
                proxies: [http://proxy1.corp.example:3128, http://proxy2.corp.example:3128]   # tried in order
                auth: { username: gateway, password_file: PASSWORD_FILE }                  # optional; Basic
            rules:                          # first match wins; no match = reject
              - { name: go, sni: [proxy.golang.org, sum.golang.org, .golang.org, .github.com, github.com], action: splice, upstream: corp }
              - { name: internal, sni: [.corp.example], action: direct }
              - { name: default, action: reject }
            timeouts: { client_hello: 10s, connect: 5s, idle: 15m }
            access_log: stdout              # or a file path
            """;

    @TempDir
    Path dir;

    @Test
    void theIssuesExampleIsAcceptedAsWritten() throws Exception {
        Path pass = dir.resolve("proxy.pass");
        Files.writeString(pass, "hunter2\n");
        GatewayConfig c = ConfigLoader.parse("gateway.yaml", ISSUE_EXAMPLE.replace("PASSWORD_FILE",
                pass.toString()), dir);
        assertThat(c.listeners()).singleElement().satisfies(l -> {
            assertThat(l.name()).isEqualTo("https");
            assertThat(l.listen()).isEqualTo(new HostPort("0.0.0.0", 8443));
            assertThat(l.transparent()).isEqualTo(Transparent.OFF);
            assertThat(l.defaultPort()).isEqualTo(443);
        });
        assertThat(c.clients()).hasSize(4);
        UpstreamConfig corp = c.upstreams().get("corp");
        assertThat(corp.proxies()).extracting(ProxyUrl::toString)
                .containsExactly("http://proxy1.corp.example:3128", "http://proxy2.corp.example:3128");
        assertThat(corp.auth().basic().username()).isEqualTo("gateway");
        assertThat(corp.auth().basic().password().reveal()).isEqualTo("hunter2");
        assertThat(corp.auth().toString()).doesNotContain("hunter2");
        assertThat(c.toString()).doesNotContain("hunter2");
        assertThat(c.rules()).extracting(RuleConfig::name).containsExactly("go", "internal", "default");
        assertThat(c.rules().get(0).sni()).hasSize(5);
        assertThat(c.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5),
                Duration.ofMinutes(15)));
        assertThat(c.accessLog()).isEqualTo("stdout");
        assertThat(c.summary()).isEqualTo("gateway.yaml: OK: 1 listener, 4 client ranges, 1 upstream (2 proxies), 3 rules");
    }

    @Test
    void aMissingPasswordFileIsTheOnlyErrorInTheExampleOnAFreshMachine() {
        // a name in the test's own directory, where no such file is: the machine's files are not the test's to read
        String example = ISSUE_EXAMPLE.replace("PASSWORD_FILE", "sluice/proxy.pass.....");
        assertThatThrownBy(() -> ConfigLoader.parse("gateway.yaml", example, dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(Object::toString)
                        .containsExactly("gateway.yaml:11:47: upstream 'corp' auth password_file: cannot read "
                                + dir.resolve("sluice/proxy.pass.....") + ": no such file"));
    }

    @Test
    void theShippedConfigurationIsValid() throws Exception {
        GatewayConfig c = ConfigLoader.load(Path.of("..", "conf", "gateway.yaml"));
        assertThat(c.listeners()).isNotEmpty();
        assertThat(c.rules()).isNotEmpty();
    }

    static final String PAIR_ADMIN = "admin: { listen: 10.0.0.2:9091, clients: [10.0.0.3/32] }\n";
    static final String PAIR_DNS = "dns: { listen: [10.0.0.1:53], forward: [10.0.0.53], pair: { peer: %s, half: %d } }\n";
    static final String BASE = """
            listeners: [{ name: https, listen: 127.0.0.1:8443 }]
            clients: [127.0.0.0/8]
            upstreams: { corp: { proxies: [http://127.0.0.1:3128] } }
            """;

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("unknown top-level key", "listners: []\n",
                        "t.yaml:4:1: configuration: unknown key 'listners' (did you mean 'listeners'?)"),
                Arguments.of("unknown rule key", "rules:\n  - { name: a, snii: [x.com], action: reject }\n",
                        "t.yaml:5:16: rule #1: unknown key 'snii' (did you mean 'sni'?)"),
                Arguments.of("wrong type", "rules: { name: a }\n",
                        "t.yaml:4:8: rules: expected a list, got a mapping"),
                Arguments.of("bad CIDR", "rules:\n  - { name: a, clients: [10.0.0.0/33], action: reject }\n",
                        "t.yaml:5:26: rule 'a' clients: bad CIDR '10.0.0.0/33': prefix length must be 0-32"),
                Arguments.of("CIDR with host bits", "rules:\n  - { name: a, clients: [10.1.2.3/8], action: reject }\n",
                        "t.yaml:5:26: rule 'a' clients: bad CIDR '10.1.2.3/8': host bits are set (did you mean 10.0.0.0/8?)"),
                Arguments.of("bad duration", "timeouts: { idle: 15 minutes }\n",
                        "t.yaml:4:19: timeouts.idle: bad duration '15 minutes': expected a number and a unit (ms, s, m, h, d), e.g. 5s or 15m"),
                Arguments.of("unknown upstream", "rules:\n  - { name: a, sni: [x.com], action: splice, upstream: corpp }\n",
                        "t.yaml:5:56: rule 'a': unknown upstream 'corpp' (defined: corp)"),
                Arguments.of("splice without upstream", "rules:\n  - { name: a, sni: [x.com], action: splice }\n",
                        "t.yaml:5:38: rule 'a': action splice needs an 'upstream'"),
                Arguments.of("unreachable rule after a catch-all",
                        "rules:\n  - { name: all, action: reject }\n  - { name: late, sni: [x.com], action: direct }\n",
                        "t.yaml:6:5: rule 'late' can never match: rule 'all' at line 5 matches every connection before it"),
                Arguments.of("bad action", "rules:\n  - { name: a, action: allow }\n",
                        "t.yaml:5:24: rule 'a' action: expected splice, direct or reject, got 'allow'"),
                Arguments.of("bad name pattern", "rules:\n  - { name: a, sni: [git*hub.com], action: reject }\n",
                        "t.yaml:5:22: rule 'a' sni: bad name pattern 'git*hub.com': '*' is only allowed as a leading '*.' (use ~regex for anything else)"),
                Arguments.of("bad regex", "rules:\n  - { name: a, sni: ['~(x'], action: reject }\n",
                        "t.yaml:5:22: rule 'a' sni: bad regular expression '(x': Unclosed group"),
                Arguments.of("inline password", "upstreams: { corp: { proxies: [http://p:1], auth: { username: u, password: x } } }\n",
                        "t.yaml:4:1: configuration: duplicate key 'upstreams' (first at line 3)"),
                Arguments.of("YAML syntax", "rules: [ { name: a\n",
                        "t.yaml:5:1: YAML syntax: expected ',' or '}', but got <stream end> (while parsing a flow mapping)"),
                Arguments.of("a bad value does not make a rule catch-all",
                        "rules:\n  - { name: a, sni: ['bad name'], action: reject }\n  - { name: b, action: reject }\n",
                        "t.yaml:5:22: rule 'a' sni: bad name pattern 'bad name': not a valid DNS name"),
                Arguments.of("empty access log", "access_log: ''\n",
                        "t.yaml:4:13: access_log: empty; use stdout, stderr, off or a file path"),
                Arguments.of("access log in a missing directory", "access_log: /nonexistent/dir/access.log\n",
                        "t.yaml:4:13: access_log: directory /nonexistent/dir does not exist"),
                Arguments.of("transparent value", "rules: []\n".replace("rules: []", "timeouts: { connect: 0s }"),
                        "t.yaml:4:22: timeouts.connect: must be greater than zero"),
                Arguments.of("admin on another host without clients", "admin: { listen: 0.0.0.0:9091 }\n",
                        "t.yaml:4:18: admin.listen: 0.0.0.0:9091 can be reached from other hosts; name who may ask in "
                                + "admin.clients (e.g. your Prometheus server's address)"),
                Arguments.of("admin by name", "admin: { listen: localhost:9091 }\n",
                        "t.yaml:4:18: admin.listen: 'localhost' is not an IP address (e.g. 127.0.0.1:9091)"),
                Arguments.of("per-client limit above the global one",
                        "limits: { max_connections: 10, max_connections_per_client: 20 }\n",
                        "t.yaml:4:60: limits.max_connections_per_client: 20 is more than max_connections (10)"),
                Arguments.of("limit not a number", "limits: { max_connections: lots }\n",
                        "t.yaml:4:28: limits.max_connections: expected a number, got 'lots'"),
                Arguments.of("drain too long", "shutdown: { drain: 2h }\n",
                        "t.yaml:4:20: shutdown.drain: at most 1h (systemd's TimeoutStopSec must be longer)"),
                Arguments.of("unknown log level", "logging: { level: verbose }\n",
                        "t.yaml:4:19: logging.level: expected off, error, warn, info, debug or trace, got 'verbose'"),
                Arguments.of("dns without resolvers", "dns: { listen: [10.0.0.1:53] }\n",
                        "t.yaml:4:6: dns: missing required key 'forward'"),
                Arguments.of("dns forwarding to itself", "dns: { listen: [10.0.0.1:53], forward: [10.0.0.1] }\n",
                        "t.yaml:4:40: dns.forward: 10.0.0.1:53 is one of dns.listen: it would ask itself"),
                Arguments.of("dns resolver by name", "dns: { listen: [10.0.0.1:53], forward: [dns.corp] }\n",
                        "t.yaml:4:41: dns.forward: 'dns.corp' is not an IP address (no DNS to find DNS)"),
                Arguments.of("dns resolver in a synthetic range", "dns: { listen: [10.0.0.1:53], forward: [198.18.0.53] }\n",
                        "t.yaml:4:40: dns.forward: 198.18.0.53:53 is inside a synthetic range"),
                Arguments.of("dns synthetic range of the wrong family",
                        "dns: { listen: [10.0.0.1:53], forward: [10.0.0.53], synthetic: { ipv4: 'fd00::/64' } }\n",
                        "t.yaml:4:72: dns.synthetic.ipv4: fd00::/64 is not an IPv4 range"),
                Arguments.of("dns synthetic range too small",
                        "dns: { listen: [10.0.0.1:53], forward: [10.0.0.53], synthetic: { ipv6: 'fd00::/124' } }\n",
                        "t.yaml:4:72: dns.synthetic.ipv6: fd00::/124 is too small: at least a /123 (16 names and room)"),
                Arguments.of("dns rejected value", "dns: { listen: [10.0.0.1:53], forward: [10.0.0.53], rejected: drop }\n",
                        "t.yaml:4:63: dns.rejected: expected forward or nxdomain, got 'drop'"),
                Arguments.of("dns on a listener's address", "dns: { listen: [127.0.0.1:8443], forward: [10.0.0.53] }\n",
                        "t.yaml:4:16: dns.listen: 127.0.0.1:8443 is taken by listener 'https' (line 1): DNS needs its own port (53)"),
                Arguments.of("dns pair without an admin listener", PAIR_DNS.formatted("http://10.0.0.3:9091", 1),
                        "t.yaml:4:59: dns.pair: needs this box's admin listener (admin.listen): the peer pulls the name table from it"),
                Arguments.of("dns pair peer by name", PAIR_ADMIN + PAIR_DNS.formatted("http://gw2.corp:9091", 1),
                        "t.yaml:5:67: dns.pair.peer: 'gw2.corp' is not an IP address (no DNS to find the peer)"),
                Arguments.of("dns pair peer without scheme", PAIR_ADMIN + PAIR_DNS.formatted("10.0.0.3:9091", 1),
                        "t.yaml:5:67: dns.pair.peer: expected http://IP:PORT (the other box's admin listener), got '10.0.0.3:9091'"),
                Arguments.of("dns pair half 3", PAIR_ADMIN + PAIR_DNS.formatted("http://10.0.0.3:9091", 3), "t.yaml:5:95: dns.pair.half: must be 1-2, got 3"),
                Arguments.of("dns pair peer is this box", PAIR_ADMIN + PAIR_DNS.formatted("http://10.0.0.2:9091", 2),
                        "t.yaml:5:67: dns.pair.peer: 10.0.0.2:9091 is this box's own admin listener; name the other box's"),
                Arguments.of("dns pair with a loopback admin listener",
                        "admin: { listen: 127.0.0.1:9091 }\n" + PAIR_DNS.formatted("http://10.0.0.3:9091", 1), "t.yaml:5:59: dns.pair: admin.listen 127.0.0.1:9091 is a loopback address: the peer at 10.0.0.3 could not pull "
                                + "this box's names; listen on the address the peer reaches"),
                Arguments.of("dns pair interval too short", PAIR_ADMIN + "dns: { listen: [10.0.0.1:53], forward: "
                        + "[10.0.0.53], pair: { peer: http://10.0.0.3:9091, half: 1, interval: 10ms } }\n", "t.yaml:5:108: dns.pair.interval: 100ms-1m, got 10ms"),
                Arguments.of("dns pair without half", PAIR_ADMIN + "dns: { listen: [10.0.0.1:53], forward: "
                        + "[10.0.0.53], pair: { peer: http://10.0.0.3:9091 } }\n", "t.yaml:5:59: dns.pair: missing required key 'half'"),
                Arguments.of("bad logger name", "logging: { loggers: { 'dev..sluice': debug } }\n",
                        "t.yaml:4:23: logging.loggers: 'dev..sluice' is not a logger name (e.g. dev.sluice.upstream)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void errorsNameFileLineAndColumn(String name, String extra, String expected) {
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", BASE + extra, dir))
                .isInstanceOfSatisfying(ConfigException.class,
                        e -> assertThat(e.errors()).extracting(Object::toString).contains(expected));
    }

    @Test
    void aDnsPairIsReadWithItsDefaultIntervalAndIsTakenOnlyAtStartUp() throws Exception {
        DnsConfig dns = ConfigLoader.parse("t.yaml", BASE + PAIR_ADMIN
                + PAIR_DNS.formatted("'http://[fd00::3]:9091/'", 2), dir).dns();
        assertThat(dns.pair()).isEqualTo(new DnsPair(new HostPort("fd00::3", 9091), 2, Duration.ofSeconds(1)));
        assertThat(dns.pair().url()).isEqualTo("http://[fd00::3]:9091");
        DnsConfig other = ConfigLoader.parse("t.yaml", BASE + PAIR_ADMIN
                + PAIR_DNS.formatted("http://10.0.0.3:9091", 1), dir).dns();
        assertThat(dns.reloadableTo(other)).as("dns.pair waits for a restart").isFalse();
        assertThat(ConfigLoader.parse("t.yaml", BASE + "dns: { listen: [10.0.0.1:53], forward: [10.0.0.53] }\n", dir)
                .dns().pair()).isNull();
    }

    @Test
    void everyErrorIsReportedNotJustTheFirst() {
        String yaml = """
                listeners: [{ name: https, listen: localhost:8443, transparent: maybe }]
                clients: [10.0.0.0/8, nonsense]
                upstreams: { corp: { proxies: [ftp://p:1], auth: { username: u, password: x } } }
                rules:
                  - { name: a, sni: [x.com], action: splice, upstream: nope }
                timeouts: { client_hello: soon }
                """;
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", yaml, dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(Object::toString)
                        .containsExactly(
                                "t.yaml:1:36: listen: 'localhost' is not an IP address (use 0.0.0.0, [::] or a local address; no DNS at start-up)",
                                "t.yaml:1:65: transparent: expected off, redirect or tproxy, got 'maybe'",
                                "t.yaml:2:23: clients: bad CIDR 'nonsense': 'nonsense' is not an IP address",
                                "t.yaml:3:32: proxy URL: bad proxy URL 'ftp://p:1': scheme must be http or https",
                                "t.yaml:3:50: upstream 'corp' auth: missing required key 'password_file'",
                                "t.yaml:3:65: upstream 'corp' auth: inline passwords are not accepted; put the password in a file readable only by the gateway and name it in password_file",
                                "t.yaml:5:56: rule 'a': unknown upstream 'nope' (defined: corp)",
                                "t.yaml:6:27: timeouts.client_hello: bad duration 'soon': expected a number and a unit (ms, s, m, h, d), e.g. 5s or 15m"));
    }

    @Test
    void overlappingListenersAndBadProxyHostsAreRefused() {
        String yaml = """
                listeners: [{ name: a, listen: 0.0.0.0:8443 }, { name: b, listen: 127.0.0.1:8443 }]
                clients: [127.0.0.0/8]
                upstreams: { corp: { proxies: ['http://proxy:3128:99', 'http://pro xy.corp:3128'] } }
                """;
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", yaml, dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(Object::toString)
                        .containsExactly(
                                "t.yaml:1:67: listen: 127.0.0.1:8443 overlaps 0.0.0.0:8443 (line 1): both cannot be bound",
                                "t.yaml:3:32: proxy URL: bad proxy URL 'http://proxy:3128:99': 'proxy:3128:99' is neither a host name nor an IP address",
                                "t.yaml:3:56: proxy URL: bad proxy URL 'http://pro xy.corp:3128': 'pro xy.corp' is neither a host name nor an IP address"));
    }

    @Test
    void anIpv4WildcardDoesNotOverlapAnIpv6AddressButTheIpv6WildcardOverlapsEverything() throws Exception {
        ConfigLoader.parse("t.yaml", """
                listeners: [{ name: a, listen: 0.0.0.0:8443 }, { name: b, listen: "[fd77:1::1]:8443" }]
                clients: [127.0.0.0/8]
                """, dir);
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", """
                listeners: [{ name: a, listen: "[::]:8443" }, { name: b, listen: 10.0.0.1:8443 }, { name: c, listen: 0.0.0.0:8443 }]
                clients: [127.0.0.0/8]
                """, dir)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors())
                        .extracting(Object::toString).containsExactly(
                                "t.yaml:1:66: listen: 10.0.0.1:8443 overlaps [::]:8443 (line 1): both cannot be bound",
                                "t.yaml:1:102: listen: 0.0.0.0:8443 overlaps [::]:8443 (line 1): both cannot be bound",
                                "t.yaml:1:102: listen: 0.0.0.0:8443 overlaps 10.0.0.1:8443 (line 1): both cannot be bound"));
    }

    @Test
    void operationsDefaultsAndValues() throws Exception {
        Operations d = ConfigLoader.parse("t.yaml", BASE, dir).operations();
        assertThat(d.admin()).as("no admin section: no admin listener").isNull();
        assertThat(d.limits()).isEqualTo(new Limits(8192, 512));
        assertThat(d.drain()).isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigLoader.parse("t.yaml", BASE + "admin: on\n", dir).operations().admin())
                .isEqualTo(new AdminConfig(new HostPort("127.0.0.1", 9091), AdminConfig.LOCAL));
        assertThat(ConfigLoader.parse("t.yaml", BASE + "admin: off\n", dir).operations().admin()).isNull();
        Operations o = ConfigLoader.parse("t.yaml", BASE + """
                admin: { listen: 0.0.0.0:9100, clients: [192.0.2.7/32] }
                limits: { max_connections: 100 }
                shutdown: { drain: 0s }
                logging: { level: WARN, loggers: { dev.sluice.upstream: debug } }
                """, dir).operations();
        assertThat(o.admin()).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9100), List.of(Cidr.parse("192.0.2.7/32"))));
        assertThat(o.limits()).as("per-client default capped by the global limit").isEqualTo(new Limits(100, 100));
        assertThat(o.drain()).isZero();
        assertThat(o.logging()).isEqualTo(new LoggingConfig("warn", java.util.Map.of("dev.sluice.upstream", "debug")));
    }

    @Test
    void falseIsTheSameAsOff() throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.yaml", BASE.replace("listen: 127.0.0.1:8443",
                "listen: 127.0.0.1:8443, transparent: false"), dir);
        assertThat(c.listeners().get(0).transparent()).isEqualTo(Transparent.OFF);
    }

    @Test
    void valueParsers() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Cidr.parse("fd00::/8").contains(IpLiteral.parse("fd12::1"))).isTrue();
        assertThat(Cidr.parse("192.168.0.0/16").contains(IpLiteral.parse("192.169.0.1"))).isFalse();
        assertThat(HostPort.parse("[::1]:8443")).isEqualTo(new HostPort("::1", 8443));
        assertThat(ProxyUrl.parse("http://Proxy.Corp:3128/")).isEqualTo(new ProxyUrl("http", "proxy.corp", 3128));
        assertThat(ProxyUrl.parse("http://proxy.corp").port()).isEqualTo(80);
        assertThatThrownBy(() -> ProxyUrl.parse("http://user:pw@proxy:3128"))
                .hasMessageContaining("credentials do not belong in the URL");
        assertThat(IpLiteral.parse("proxy.corp.example")).isNull();
        assertThat(NameSpec.parse("*.GitHub.com.").value()).isEqualTo("github.com");
        assertThat(List.of(NameSpec.parse(".github.com").kind(), NameSpec.parse("~x").kind()))
                .containsExactly(NameSpec.Kind.DOMAIN, NameSpec.Kind.REGEX);
    }
}
