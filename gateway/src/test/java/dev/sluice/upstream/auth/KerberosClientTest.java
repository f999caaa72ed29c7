package dev.sluice.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tokens from a keytab login, accepted by a real JDK GSS acceptor holding the service's keys, against an in-JVM KDC.
 * Two realms in this class's krb5.conf: MAIN.TEST stays up; CACHE.TEST is stopped by the service-ticket test.
 */
class KerberosClientTest {
    private static final Duration TOKEN_WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static TestKdc main;
    private static TestKdc cache;
    private static TestKrb5Conf krb5Conf;
    private static Path gwKeytab;
    private static TestAcceptor proxy;

    @BeforeAll
    static void kdcs() throws Exception {
        main = TestKdc.create(dir, "MAIN.TEST").start();
        cache = TestKdc.create(dir, "CACHE.TEST").start();
        krb5Conf = TestKrb5Conf.write(dir, "MAIN.TEST", main.realmBlock(), cache.realmBlock());
        gwKeytab = main.keytab("gw");
        proxy = TestAcceptor.login("HTTP/proxy.main.test@MAIN.TEST", main.keytab("HTTP/proxy.main.test"));
    }

    @AfterAll
    static void stop() throws Exception {
        krb5Conf.close();
        main.close();
        cache.close();
    }

    @ParameterizedTest(name = "{1} token for {0}")
    @CsvSource({
        "HTTP@proxy.main.test,           SPNEGO,   1.3.6.1.5.5.2",
        "HTTP/proxy.main.test,           SPNEGO,   1.3.6.1.5.5.2",
        "HTTP/proxy.main.test@MAIN.TEST, SPNEGO,   1.3.6.1.5.5.2",
        "HTTP@proxy.main.test,           KERBEROS, 1.2.840.113554.1.2.2",
        "HTTP/proxy.main.test@MAIN.TEST, KERBEROS, 1.2.840.113554.1.2.2",
    })
    void tokenIsAcceptedByTheProxyAsTheGatewayPrincipal(String spn, GssMechanism mechanism, String oid)
            throws Exception {
        try (KerberosClient client = new KerberosClient("gw@MAIN.TEST", gwKeytab)) {
            byte[] token = client.initialToken(spn, mechanism).get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(TestAcceptor.mechanismOf(token)).isEqualTo(oid);
            assertThat(proxy.accept(token)).isEqualTo("gw@MAIN.TEST");
            assertThat(client.ticketEnd()).isAfter(java.time.Instant.now());
        }
    }

    @Test
    void twoHundredConcurrentTokensFromEightThreadsAreAllAccepted() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (KerberosClient client = new KerberosClient("gw@MAIN.TEST", gwKeytab)) {
            List<Future<CompletableFuture<byte[]>>> asked = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                GssMechanism mechanism = i % 2 == 0 ? GssMechanism.SPNEGO : GssMechanism.KERBEROS;
                asked.add(callers.submit(() -> client.initialToken("HTTP@proxy.main.test", mechanism)));
            }
            List<String> initiators = new ArrayList<>();
            for (Future<CompletableFuture<byte[]>> f : asked) {
                byte[] token = f.get().get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS);
                initiators.add(proxy.accept(token));
            }
            assertThat(initiators).hasSize(200).containsOnly("gw@MAIN.TEST");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void serviceTicketIsKeptSoTokensNeedNoKdcUntilAnotherSpn() throws Exception {
        TestAcceptor cacheProxy = TestAcceptor.login("HTTP/proxy.cache.test@CACHE.TEST",
                cache.keytab("HTTP/proxy.cache.test"));
        cache.principal("HTTP/other.cache.test");
        try (KerberosClient client = new KerberosClient("gw@CACHE.TEST", cache.keytab("gw"))) {
            byte[] first = client.initialToken("HTTP@proxy.cache.test", GssMechanism.SPNEGO)
                    .get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(cacheProxy.accept(first)).isEqualTo("gw@CACHE.TEST");

            cache.stop();

            for (int i = 0; i < 20; i++) {
                byte[] token = client.initialToken("HTTP@proxy.cache.test", GssMechanism.SPNEGO)
                        .get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(cacheProxy.accept(token)).isEqualTo("gw@CACHE.TEST");
            }
            assertThatThrownBy(() -> client.initialToken("HTTP@other.cache.test", GssMechanism.SPNEGO)
                    .get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(AuthException.class)
                    .hasMessage("kerberos: no service ticket for HTTP@other.cache.test as gw@CACHE.TEST: "
                            + "Cannot contact any KDC for realm 'CACHE.TEST' (connection refused)");
        }
    }

    @Test
    void unknownServiceIsNamedWithTheKdcsReason() throws Exception {
        try (KerberosClient client = new KerberosClient("gw@MAIN.TEST", gwKeytab)) {
            assertThatThrownBy(() -> client.initialToken("HTTP@nosuch.main.test", GssMechanism.SPNEGO)
                    .get(TOKEN_WAIT.toSeconds(), TimeUnit.SECONDS))
                    .cause().isInstanceOf(AuthException.class)
                    .hasMessage("kerberos: no service ticket for HTTP@nosuch.main.test as gw@MAIN.TEST: "
                            + "Server not found in Kerberos database (7)");
        }
    }
}
