package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.ProxyAuthenticator;
import dev.sluice.testing.RunningGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy authentication through the whole gateway over real sockets: a real JDK TLS client, the gateway, an
 * in-JVM proxy whose NTLM is the JDK's own NTLM server, a TLS origin. What the client gets (its bytes, SHA-256
 * checked), the access log's outcome, error and auth, and which legs the proxy saw.
 */
@ExtendWith(NettyLeaks.class)
class ProxyAuthTest {
    static final String NTLM_PASSWORD = "Pa55-w0rd!";

    @TempDir
    Path dir;
    Origin origin;
    RunningGateway gw;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(Origin.COMMANDS);
        for (String[] f : new String[][] {{"ntlm.pass", NTLM_PASSWORD}, {"wrong.pass", "not-it"},
            {"basic.pass", "b4sic"}}) {
            Path p = dir.resolve(f[0]);
            Files.writeString(p, f[1] + "\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        origin.close();
    }

    String config(String auth, FakeProxy... proxies) {
        String urls = FakeProxy.routedUrls("proxy.golang.org:443", origin.port(), proxies);
        return """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                    health: { fall: 1 }
                %s
                rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                timeouts: { connect: 2s }
                """.formatted(urls, auth.indent(4));
    }

    static final String NTLM = "auth: { ntlm: { username: svc-sluice, domain: CORP, password_file: ntlm.pass } }";

    /** A TLS tunnel to the origin that moves 3000 bytes up and checks them; false when it could not be made. */
    boolean tunnel() {
        return Clients.upAndChecked(gw.port(), "proxy.golang.org", 3000, 7);
    }

    static long legsWith(FakeProxy p, String scheme) {
        return p.requests.stream().filter(h -> {
            String a = ProxyAuthenticator.authorization(h);
            return scheme == null ? a == null : a != null && a.startsWith(scheme);
        }).count();
    }

    @Test
    void ntlmThreeLegsForTheFirstTunnelTwoForTheNext() throws Exception {
        try (FakeProxy squid = new FakeProxy().authenticate(
                ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, false))) {
            gw = RunningGateway.start(config(NTLM, squid), dir);
            assertThat(tunnel()).as("first tunnel").isTrue();
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(field(line, "auth")).isEqualTo("ntlm");
            assertThat(squid.requests).as("no auth, negotiate, authenticate").hasSize(3);
            assertThat(tunnel()).as("second tunnel").isTrue();
            assertThat(field(gw.awaitLine(1), "auth")).isEqualTo("ntlm");
            assertThat(squid.requests).as("the second starts with NTLM's negotiate message").hasSize(5);
            assertThat(legsWith(squid, null)).as("only the first tunnel asked without credentials").isEqualTo(1);
        }
    }

    @Test
    void aWrongPasswordIsProxyAuthFailedTheNextProxyIsNotTriedAndNothingIsOutOfService() throws Exception {
        try (FakeProxy first = new FakeProxy().authenticate(
                ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, false));
                FakeProxy second = new FakeProxy().authenticate(
                        ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, false))) {
            gw = RunningGateway.start(config(NTLM.replace("ntlm.pass", "wrong.pass"), first, second), dir);
            assertThat(tunnel()).isFalse();
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("proxy_auth_failed");
            assertThat(field(line, "error")).isEqualTo("127.0.0.1:" + first.port() + ": proxy rejected the ntlm "
                    + "credentials of CORP\\svc-sluice (407 to our authenticate message)");
            assertThat(field(line, "auth")).as("the scheme it failed with").isEqualTo("ntlm");
            assertThat(line).doesNotContain("not-it");
            assertThat(second.requests).as("the same credentials are not tried at the next proxy").isEmpty();
            assertThat(gw.gateway.compiled().upstreams().get("corp").proxies())
                    .allSatisfy(p -> assertThat(p.isUp()).as("fall: 1, and still in service").isTrue());
        }
    }

    @Test
    void aProxyThatClosesAfterItsFirst407GetsOneReconnect() throws Exception {
        try (FakeProxy squid = new FakeProxy().authenticate(
                ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, true))) {
            gw = RunningGateway.start(config(NTLM, squid), dir);
            assertThat(tunnel()).isTrue();
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(field(line, "auth")).isEqualTo("ntlm");
            assertThat(squid.requests).hasSize(3);
        }
    }

    @Test
    void theSchemeIsWhatTheProxyOffersAndIsConfigured() throws Exception {
        try (FakeProxy squid = new FakeProxy().authenticate(ProxyAuthenticator.offering("Proxy-Authenticate: Basic "
                + "realm=\"corp\"", () -> head -> "Basic c3ZjOmI0c2lj".equals(ProxyAuthenticator.authorization(head))
                        ? null : new ProxyAuthenticator.Challenge("Proxy-Authenticate: Basic realm=\"corp\"", false)))) {
            gw = RunningGateway.start(config("auth:\n  ntlm: { username: svc-sluice, password_file: ntlm.pass }\n"
                    + "  basic: { username: svc, password_file: basic.pass }", squid), dir);
            assertThat(tunnel()).isTrue();
            assertThat(field(gw.awaitLine(0), "auth")).isEqualTo("basic");
            assertThat(tunnel()).isTrue();
            assertThat(squid.requests).as("the second tunnel sends Basic at once").hasSize(3);
        }
    }

    @Test
    void healthProbesAuthenticateLikeTunnels() throws Exception {
        try (FakeProxy squid = new FakeProxy().authenticate(
                ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, false))) {
            gw = RunningGateway.start(config(NTLM, squid).replace("health: { fall: 1 }",
                    "health: { target: proxy.golang.org:443, interval: 200ms, fall: 1 }"), dir);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> legsWith(squid, "NTLM TlRMTVNTUAAD") >= 2);
            assertThat(gw.gateway.compiled().upstreams().get("corp").proxies().get(0).isUp()).isTrue();
            assertThat(squid.requests).allSatisfy(h -> assertThat(h).startsWith("CONNECT proxy.golang.org:443 "));
            assertThat(legsWith(squid, null)).as("the first probe asked; later ones send NTLM at once").isEqualTo(1);
        }
    }

    @Test
    void aProxyThatWantsAuthWhenNoneIsConfiguredSaysWhatItOffers() throws Exception {
        try (FakeProxy squid = new FakeProxy().authenticate(
                ProxyAuthenticator.ntlm("CORP", "svc-sluice", NTLM_PASSWORD, false))) {
            gw = RunningGateway.start(config("", squid), dir);
            assertThat(tunnel()).isFalse();
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("proxy_auth_failed");
            assertThat(field(line, "error")).isEqualTo("127.0.0.1:" + squid.port()
                    + ": proxy requires authentication (offers NTLM) and no auth is configured for it");
            assertThat(field(line, "auth")).isNull();
        }
    }
}
