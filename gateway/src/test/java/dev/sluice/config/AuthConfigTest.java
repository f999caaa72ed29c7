package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testing.Keytabs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The auth blocks: the issue's shape as written, the old Basic shape, and every mistake with its position. */
class AuthConfigTest {
    @TempDir
    Path dir;

    static String config(String upstream) {
        return """
                listeners: [{ listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                """ + upstream.indent(4) + """
                rules: [{ action: splice, upstream: corp }]
                """;
    }

    @BeforeEach
    void files() throws Exception {
        for (String f : List.of("ntlm.pass", "basic.pass")) {
            Files.writeString(dir.resolve(f), "s3cret\n");
            Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-------"));
        }
        Keytabs.write(dir.resolve("sluice.keytab"), "sluice-gw@CORP.EXAMPLE");
        Files.setPosixFilePermissions(dir.resolve("sluice.keytab"), PosixFilePermissions.fromString("rw-------"));
        Keytabs.write(dir.resolve("other.keytab"), "someone-else@CORP.EXAMPLE");
        Files.writeString(dir.resolve("krb5.conf"), "[libdefaults]\n default_realm = CORP.EXAMPLE\n");
        Files.writeString(dir.resolve("other-krb5.conf"), "[libdefaults]\n");
        assertThat(new ProcessBuilder("mkfifo", dir.resolve("fifo.pass").toString()).start().waitFor()).isZero();
    }

    GatewayConfig parse(String upstream) throws ConfigException {
        return ConfigLoader.parse("t.yaml", config(upstream), dir);
    }

    @Test
    void theIssuesShapeAsWritten() throws Exception {
        GatewayConfig c = parse("""
                proxies: [http://proxy.corp.example:8080]
                auth:
                  negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, krb5_conf: krb5.conf }
                  ntlm: { username: svc-sluice, domain: CORP, password_file: ntlm.pass }
                  basic: { username: svc, password_file: basic.pass }
                  schemes: [negotiate, ntlm]
                """.replace("schemes: [negotiate, ntlm]", "schemes: [negotiate, ntlm, basic]"));
        AuthConfig a = c.upstreams().get("corp").auth();
        assertThat(a.schemes()).containsExactly(AuthScheme.NEGOTIATE, AuthScheme.NTLM, AuthScheme.BASIC);
        assertThat(a.negotiate().principal()).isEqualTo("sluice-gw@CORP.EXAMPLE");
        assertThat(a.negotiate().keytab()).isEqualTo(dir.resolve("sluice.keytab"));
        assertThat(a.negotiate().krb5Conf()).isEqualTo(dir.resolve("krb5.conf"));
        assertThat(a.negotiate().mechanism()).isEqualTo(NegotiateAuth.Mechanism.SPNEGO);
        assertThat(a.negotiate().spnFor("Proxy.Corp.Example")).isEqualTo("HTTP@proxy.corp.example");
        assertThat(a.ntlm().account()).isEqualTo("CORP\\svc-sluice");
        assertThat(a.ntlm().password().reveal()).isEqualTo("s3cret");
        assertThat(a.ntlm().workstation()).isNull();
        assertThat(a.basic().username()).isEqualTo("svc");
        assertThat(a.toString() + a.ntlm() + a.basic()).doesNotContain("s3cret");
        assertThat(a.describe()).isEqualTo("negotiate as sluice-gw@CORP.EXAMPLE, ntlm as CORP\\svc-sluice, basic as svc");
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void withoutSchemesTheOrderIsNegotiateNtlmBasicAndAnSpnAndMechanismMayBeSet() throws Exception {
        AuthConfig a = parse("""
                proxies: [http://10.0.0.1:8080]
                auth:
                  basic: { username: svc, password_file: basic.pass }
                  ntlm: { username: svc-sluice, password_file: ntlm.pass, workstation: GW-01 }
                  negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, spn: HTTP/proxy.corp.example@CORP.EXAMPLE, mechanism: kerberos }
                """).upstreams().get("corp").auth();
        assertThat(a.schemes()).containsExactly(AuthScheme.NEGOTIATE, AuthScheme.NTLM, AuthScheme.BASIC);
        assertThat(a.negotiate().spnFor("10.0.0.1")).isEqualTo("HTTP/proxy.corp.example@CORP.EXAMPLE");
        assertThat(a.negotiate().mechanism()).isEqualTo(NegotiateAuth.Mechanism.KERBEROS);
        assertThat(a.ntlm().account()).isEqualTo("svc-sluice");
        assertThat(a.ntlm().workstation()).isEqualTo("GW-01");
    }

    @Test
    void theOldShapeMeansBasicAndCredentialsByClientTakeAnyScheme() throws Exception {
        UpstreamConfig u = parse("""
                proxies: [http://proxy.corp.example:8080]
                auth: { username: svc, password_file: basic.pass }
                credentials_by_client:
                  - { clients: [10.1.0.0/16], ntlm: { username: team-a, domain: CORP, password_file: ntlm.pass } }
                  - { clients: [10.2.0.0/16], username: team-b, password_file: basic.pass }
                """).upstreams().get("corp");
        assertThat(u.auth().schemes()).containsExactly(AuthScheme.BASIC);
        assertThat(u.credentialsByClient()).extracting(cc -> cc.auth().describe())
                .containsExactly("ntlm as CORP\\team-a", "basic as team-b");
    }

    @Test
    void secretFilesOthersMayReadAreWarningsTheGatewaysGroupIsNot() throws Exception {
        Files.setPosixFilePermissions(dir.resolve("ntlm.pass"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(dir.resolve("basic.pass"), PosixFilePermissions.fromString("rw----r--"));
        // the file's group is this process's (or the test runs as root): 0640 is how a service's secret is kept
        Files.setPosixFilePermissions(dir.resolve("sluice.keytab"), PosixFilePermissions.fromString("rw-r-----"));
        GatewayConfig c = parse("""
                proxies: [http://proxy.corp.example:8080]
                auth:
                  ntlm: { username: svc-sluice, domain: CORP, password_file: ntlm.pass }
                  negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab }
                  basic: { username: svc, password_file: basic.pass }
                """);
        String fix = "; make it readable by the gateway's user only (chmod 600), or by it and its group (chmod 640, "
                + "the file's group the gateway's)";
        assertThat(c.warnings()).extracting(Object::toString).containsExactly(
                "t.yaml:7:66: warning: upstream 'corp' auth ntlm password_file: " + dir.resolve("ntlm.pass")
                        + " is world-readable (rw-r--r--)" + fix,
                "t.yaml:9:46: warning: upstream 'corp' auth basic password_file: " + dir.resolve("basic.pass")
                        + " is world-readable (rw----r--)" + fix);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("old and new shapes mixed", """
                        proxies: [http://p.example:1]
                        auth: { username: svc, password_file: basic.pass, ntlm: { username: a, password_file: ntlm.pass } }
                        """, "t.yaml:6:11: upstream 'corp' auth: either username/password_file (Basic) or "
                        + "basic:/ntlm:/negotiate: blocks, not both"),
                Arguments.of("a scheme listed without its block", """
                        proxies: [http://p.example:1]
                        auth: { basic: { username: svc, password_file: basic.pass }, schemes: [ntlm, basic] }
                        """, "t.yaml:6:76: upstream 'corp' auth schemes: ntlm is listed but has no ntlm: block"),
                Arguments.of("a block left out of schemes", """
                        proxies: [http://p.example:1]
                        auth: { basic: { username: svc, password_file: basic.pass }, ntlm: { username: a, password_file: ntlm.pass }, schemes: [ntlm] }
                        """, "t.yaml:6:13: upstream 'corp' auth: basic is configured but not in schemes: add it to "
                        + "the list or remove its block"),
                Arguments.of("an empty schemes list", """
                        proxies: [http://p.example:1]
                        auth: { basic: { username: svc, password_file: basic.pass }, schemes: [] }
                        """, "t.yaml:6:75: upstream 'corp' auth schemes: empty; list the schemes to use, or leave the key "
                        + "out for all of them (negotiate, ntlm, basic)"),
                Arguments.of("a password file that is a FIFO (it would block check)", """
                        proxies: [http://p.example:1]
                        auth: { basic: { username: svc, password_file: fifo.pass } }
                        """, "t.yaml:6:52: upstream 'corp' auth basic password_file: DIR/fifo.pass is not a regular file"),
                Arguments.of("an unknown scheme", """
                        proxies: [http://p.example:1]
                        auth: { basic: { username: svc, password_file: basic.pass }, schemes: [digest] }
                        """, "t.yaml:6:76: upstream 'corp' auth schemes: expected negotiate, ntlm or basic, got 'digest'"),
                Arguments.of("an inline NTLM password", """
                        proxies: [http://p.example:1]
                        auth: { ntlm: { username: a, password: x, password_file: ntlm.pass } }
                        """, "t.yaml:6:34: upstream 'corp' auth ntlm: inline passwords are not accepted; put the "
                        + "password in a file readable only by the gateway and name it in password_file"),
                Arguments.of("a domain in the NTLM user name", """
                        proxies: [http://p.example:1]
                        auth: { ntlm: { username: 'CORP\\svc', password_file: ntlm.pass } }
                        """, "t.yaml:6:31: upstream 'corp' auth ntlm username: the account name alone (e.g. "
                        + "svc-sluice); put the domain in domain:"),
                Arguments.of("a workstation name too long for NetBIOS", """
                        proxies: [http://p.example:1]
                        auth: { ntlm: { username: a, password_file: ntlm.pass, workstation: a-very-long-host-name } }
                        """, "t.yaml:6:73: upstream 'corp' auth ntlm workstation: 1-15 letters, digits, '.', '_' or '-'"),
                Arguments.of("a principal without its realm", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw, keytab: sluice.keytab } }
                        """, "t.yaml:6:37: upstream 'corp' auth negotiate principal: expected name@REALM (e.g. "
                        + "sluice-gw@CORP.EXAMPLE), got 'sluice-gw'"),
                Arguments.of("a missing keytab", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: nope.keytab } }
                        """, "t.yaml:6:69: upstream 'corp' auth negotiate keytab: cannot read DIR/nope.keytab: no such "
                        + "file"),
                Arguments.of("another principal's keytab", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: other.keytab } }
                        """, "t.yaml:6:69: upstream 'corp' auth negotiate keytab: DIR/other.keytab: holds no key for "
                        + "sluice-gw@CORP.EXAMPLE"),
                Arguments.of("a keytab that is not one", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: krb5.conf } }
                        """, "t.yaml:6:69: upstream 'corp' auth negotiate keytab: DIR/krb5.conf: "),
                Arguments.of("a proxy named by address without an spn", """
                        proxies: [http://10.0.0.1:8080]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab } }
                        """, "t.yaml:6:24: upstream 'corp' auth negotiate: proxy http://10.0.0.1:8080 is named by "
                        + "address; Kerberos needs the proxy's host name for its service principal: name it by host "
                        + "name, or set spn:"),
                Arguments.of("a malformed spn", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, spn: 'HTTP proxy' } }
                        """, "t.yaml:6:89: upstream 'corp' auth negotiate spn: expected HTTP@proxy.host or "
                        + "HTTP/proxy.host[@REALM], got 'HTTP proxy'"),
                Arguments.of("an unknown mechanism", """
                        proxies: [http://p.example:1]
                        auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, mechanism: ntlm } }
                        """, "t.yaml:6:95: upstream 'corp' auth negotiate mechanism: expected spnego or kerberos, got "
                        + "'ntlm'"),
                Arguments.of("a typo in a block", """
                        proxies: [http://p.example:1]
                        auth: { ntlm: { username: a, pasword_file: ntlm.pass } }
                        """, "t.yaml:6:34: upstream 'corp' auth ntlm: unknown key 'pasword_file' (did you mean "
                        + "'password_file'?)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void everyMistakeHasItsPosition(String name, String upstream, String error) {
        assertThatThrownBy(() -> parse(upstream)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.errors()).extracting(Object::toString)
                        .anySatisfy(s -> assertThat(s).startsWith(error.replace("DIR", dir.toString()))));
    }

    @Test
    void oneKrb5ConfForTheWholeGateway() throws Exception {
        String two = """
                listeners: [{ listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  a:
                    proxies: [http://a.example:1]
                    auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, krb5_conf: krb5.conf } }
                  b:
                    proxies: [http://b.example:1]
                    auth: { negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: sluice.keytab, krb5_conf: other-krb5.conf } }
                rules: [{ action: splice, upstream: a }]
                """;
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", two, dir)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.errors()).extracting(Object::toString).containsExactly("t.yaml:9:95: upstream 'b' "
                        + "auth negotiate krb5_conf: " + dir.resolve("other-krb5.conf") + " differs from "
                        + dir.resolve("krb5.conf") + " (line 6); krb5.conf is one file for the whole gateway (the JVM "
                        + "reads one)"));
    }
}
