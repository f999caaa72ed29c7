package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigLoader;
import dev.sluice.session.CompiledConfig;
import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.Pki;
import dev.sluice.testing.Refused;
import dev.sluice.testing.RunningGateway;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** https:// proxies: the CONNECT inside TLS to the proxy, its name verified, mutual TLS, X-Forwarded-For. */
@ExtendWith(NettyLeaks.class)
class ProxyTlsTest {
    @TempDir
    Path dir;
    Origin origin;
    RunningGateway gw;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(Origin.COMMANDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        origin.close();
    }

    String config(String proxyUrl, String tlsKeys) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                    forwarded_for: true
                %s
                rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                timeouts: { connect: 2s }
                """.formatted(proxyUrl, tlsKeys.indent(4));
    }

    String trust() throws Exception {
        return "ca_file: " + Pki.file("ca.pem");
    }

    String tunnel() throws Exception {
        try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            tls.getOutputStream().write("UP 10000\n".getBytes(StandardCharsets.US_ASCII));
            String sent = Clients.send(tls.getOutputStream(), 10000, 4);
            assertThat(Clients.readLine(tls.getInputStream())).isEqualTo(sent);
        }
        return gw.awaitLine(0);
    }

    @Test
    void connectRunsInsideTlsToTheProxyByNameAndNamesTheClient() throws Exception {
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.1", false).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://localhost:" + proxy.port(), trust()), dir);
            assertThat(field(tunnel(), "outcome")).isEqualTo("ok");
            assertThat(proxy.requests).singleElement().satisfies(r -> assertThat(r)
                    .startsWith("CONNECT proxy.golang.org:443 HTTP/1.1\r\n")
                    .containsIgnoringCase("x-forwarded-for: 127.0.0.1\r\n")
                    .containsIgnoringCase("forwarded: for=127.0.0.1\r\n"));
        }
    }

    @Test
    void anAddressProxyUrlIsVerifiedAgainstTheCertificatesIpNames() throws Exception {
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.1", false).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://127.0.0.1:" + proxy.port(), trust()), dir);
            assertThat(field(tunnel(), "outcome")).isEqualTo("ok");
        }
    }

    @Test
    void aCertificateForAnotherAddressIsRefused() throws Exception {
        // the certificate names 127.0.0.1 and localhost, not 127.0.0.2
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.2", false).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://127.0.0.2:" + proxy.port(), trust()), dir);
            assertRefused("No subject alternative names matching IP address 127.0.0.2 found");
            assertThat(proxy.requests).as("no CONNECT leaves before the proxy is verified").isEmpty();
        }
    }

    @Test
    void anUntrustedProxyIsRefused() throws Exception {
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.1", false).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://localhost:" + proxy.port(), ""), dir); // system trust only
            assertRefused("unable to find valid certification path");
            assertThat(proxy.requests).isEmpty();
        }
    }

    @Test
    void mutualTls() throws Exception {
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.1", true).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://localhost:" + proxy.port(), trust() + "\nclient_cert: "
                    + Pki.file("client.pem") + "\nclient_key: " + Pki.file("client.key")), dir);
            assertThat(field(tunnel(), "outcome")).isEqualTo("ok");
            gw.close();
            gw = RunningGateway.start(config("https://localhost:" + proxy.port(), trust()), dir); // no client cert
            assertRefused("TLS with the proxy failed");
        }
    }

    @Test
    void aClientCertificateTheProxyDoesNotTrustIsRefusedWithAClearError() throws Exception {
        try (FakeProxy proxy = FakeProxy.tls("127.0.0.1", true).route("proxy.golang.org:443", origin.port())) {
            gw = RunningGateway.start(config("https://localhost:" + proxy.port(), trust() + "\nclient_cert: "
                    + Pki.file("stranger.pem") + "\nclient_key: " + Pki.file("stranger.key")), dir);
            assertRefused("TLS with the proxy failed");
            assertThat(proxy.requests).isEmpty();
        }
    }

    @Test
    void checkValidatesTheTlsFiles() throws Exception {
        Path notACert = Files.writeString(dir.resolve("ca.pem"), "hello\n");
        assertThatThrownBy(() -> ConfigLoader.parse("t.yaml", config("https://localhost:1",
                "ca_file: ca.pem\nclient_cert: " + Pki.file("client.pem")), dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).extracting(Object::toString)
                        .anyMatch(m -> m.startsWith("t.yaml:7:14: upstream 'corp' ca_file: " + notACert
                                + " is not a PEM certificate file"))
                        .anyMatch(m -> m.startsWith("t.yaml:8:5: upstream 'corp': client_cert and client_key go together")));
        assertThatThrownBy(() -> CompiledConfig.compile(ConfigLoader.parse("t.yaml", config("https://localhost:1",
                "client_cert: " + Pki.file("client.pem") + "\nclient_key: " + Pki.file("ca.pem")), dir)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(err -> assertThat(err.toString()).startsWith(
                                "t.yaml:4:3: upstream 'corp': cannot set up TLS to its proxies")));
    }

    /** The client is told internal_error and the access log names the TLS failure and its reason. */
    private void assertRefused(String reason) throws Exception {
        try (var s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(Hellos.captured("go.bin"));
            Refused.assertToldPromptly(s, "internal_error");
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("connect_error");
        assertThat(field(line, "error")).contains("TLS with the proxy failed").contains(reason);
    }
}
