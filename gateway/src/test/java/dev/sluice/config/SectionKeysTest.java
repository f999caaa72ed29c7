package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The keys each section allows, as an operator sees them in the unknown-key error. The readers declare them by
 * reading them, so this table is where a key that a reader forgot to ask for on some path would show.
 */
class SectionKeysTest {
    private static final String UPSTREAM = "upstreams: {u: {proxies: ['http://p.example:3128'], ";

    @TempDir
    Path dir;

    static Stream<Arguments> sections() {
        return Stream.of(
                Arguments.of("zzzzzzzz: 1\n", "configuration", "access_log, admin, clients, dns, limits, listeners, "
                        + "logging, rules, shutdown, timeouts, upstreams"),
                Arguments.of("dns: {listen: ['127.0.0.1:53'], forward: [10.0.0.53], zzzzzzzz: 1}\n", "dns",
                        "forward, limits, listen, pair, rejected, state_dir, synthetic, tls_ports, ttl"),
                Arguments.of("dns: {listen: ['127.0.0.1:53'], forward: [10.0.0.53], pair: {zzzzzzzz: 1}}\n",
                        "dns.pair", "half, interval, peer"),
                Arguments.of("dns: {listen: ['127.0.0.1:53'], forward: [10.0.0.53], limits: {zzzzzzzz: 1}}\n",
                        "dns.limits", "client_qps, forwards, names"),
                Arguments.of("listeners: [{listen: '127.0.0.1:1', zzzzzzzz: 1}]\n", "listener #1",
                        "default_port, listen, name, peek, transparent"),
                Arguments.of(UPSTREAM + "zzzzzzzz: 1}}\n", "upstream 'u'", "auth, ca_file, client_cert, client_key, "
                        + "credentials_by_client, fastest_of, forwarded_for, health, http, proxies, retry, strategy"),
                Arguments.of(UPSTREAM + "retry: {zzzzzzzz: 1}}}\n", "upstream 'u' retry", "attempts, deadline"),
                Arguments.of(UPSTREAM + "health: {zzzzzzzz: 1}}}\n", "upstream 'u' health",
                        "fall, interval, rise, target, timeout"),
                Arguments.of(UPSTREAM + "auth: {zzzzzzzz: 1}}}\n", "upstream 'u' auth",
                        "basic, negotiate, ntlm, password, password_file, schemes, username"),
                Arguments.of(UPSTREAM + "auth: {username: a, basic: {}, zzzzzzzz: 1}}}\n", "upstream 'u' auth",
                        "basic, negotiate, ntlm, password, password_file, schemes, username"),
                Arguments.of(UPSTREAM + "credentials_by_client: [{clients: [10.0.0.0/8], zzzzzzzz: 1}]}}\n",
                        "upstream 'u' credentials_by_client #1",
                        "basic, clients, negotiate, ntlm, password, password_file, schemes, username"),
                Arguments.of(UPSTREAM + "auth: {basic: {zzzzzzzz: 1}}}}\n", "upstream 'u' auth basic",
                        "password, password_file, username"),
                Arguments.of(UPSTREAM + "auth: {ntlm: {zzzzzzzz: 1}}}}\n", "upstream 'u' auth ntlm",
                        "domain, password, password_file, username, workstation"),
                Arguments.of(UPSTREAM + "auth: {negotiate: {zzzzzzzz: 1}}}}\n", "upstream 'u' auth negotiate",
                        "keytab, krb5_conf, mechanism, principal, spn"),
                Arguments.of("rules: [{action: reject, zzzzzzzz: 1}]\n", "rule #1",
                        "action, clients, destinations, name, ports, sni, upstream"),
                Arguments.of("timeouts: {zzzzzzzz: 1}\n", "timeouts", "client_hello, connect, idle"),
                Arguments.of("admin: {zzzzzzzz: 1}\n", "admin", "clients, listen"),
                Arguments.of("admin: {listen: off, zzzzzzzz: 1}\n", "admin", "clients, listen"),
                Arguments.of("limits: {zzzzzzzz: 1}\n", "limits", "max_connections, max_connections_per_client"),
                Arguments.of("shutdown: {zzzzzzzz: 1}\n", "shutdown", "drain"),
                Arguments.of("logging: {zzzzzzzz: 1}\n", "logging", "level, loggers"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("sections")
    void anUnknownKeyIsAnsweredWithTheKeysTheSectionAllows(String yaml, String section, String allowed) {
        assertThat(messages(yaml)).contains(section + ": unknown key 'zzzzzzzz' (allowed: " + allowed + ")");
    }

    @Test
    void aKeyOfTheOtherAuthShapeIsNotUnknown() {
        assertThat(messages(UPSTREAM + "auth: {username: a, basic: {}, schemes: [basic]}}}\n"))
                .noneMatch(m -> m.contains("unknown key"))
                .contains("upstream 'u' auth: either username/password_file (Basic) or basic:/ntlm:/negotiate: "
                        + "blocks, not both");
    }

    @Test
    void aNearMissIsCorrected() {
        assertThat(messages(UPSTREAM + "helth: {}}}\n"))
                .contains("upstream 'u': unknown key 'helth' (did you mean 'health'?)");
    }

    private List<String> messages(String yaml) {
        ConfigException e = catchThrowableOfType(() -> ConfigLoader.parse("t.yaml", yaml, dir),
                ConfigException.class);
        assertThat(e).as("errors for %s", yaml).isNotNull();
        return e.errors().stream().map(ConfigError::message).toList();
    }
}
