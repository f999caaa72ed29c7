package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of {@code conf/keepalived/}: {@code sluice-ready}, the probe keepalived's {@code vrrp_script} runs, against
 * a real gateway's admin listener (its exit status is what moves the address), and the two configurations, which must
 * run the probe where the package installs it, against the shipped admin address. The configurations themselves run
 * under a real keepalived in the end-to-end suite's {@code ha-} cases.
 */
@ExtendWith(NettyLeaks.class)
class KeepalivedFilesTest {
    static final Path DIR = Path.of("..", "conf", "keepalived").toAbsolutePath().normalize();
    static final Path PROBE = DIR.resolve("sluice-ready");

    @TempDir
    Path dir;
    FakeProxy proxy;
    RunningGateway gw;

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    record Probe(int exit, long millis) {
    }

    static Probe probe(String address) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(PROBE.toString(), address).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        assertThat(new String(out, StandardCharsets.UTF_8)).as("keepalived's script output: none").isEmpty();
        return new Probe(p.exitValue(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    @Test
    void theProbeSucceedsOnlyWhileTheGatewayCanServe() throws Exception {
        proxy = new FakeProxy();
        gw = RunningGateway.start("""
                listeners:
                  - { name: https, listen: 127.0.0.1:0 }
                clients: [127.0.0.0/8]
                upstreams:
                  doomed:
                    proxies: [http://127.0.0.1:%d]
                    health: { fall: 1 }
                rules:
                  - { name: doomed, sni: [.doomed.example.test], action: splice, upstream: doomed }
                timeouts: { client_hello: 2s, connect: 2s, idle: 15m }
                admin: { listen: 127.0.0.1:0 }
                """.formatted(TestServer.closedPort()), dir);
        InetSocketAddress admin = gw.gateway.adminAddress();
        String address = "127.0.0.1:" + admin.getPort();
        assertThat(probe(address).exit()).as("serving, the proxy not known to be out yet").isZero();

        AdminServerTest.sendHello(gw.port(), "x.doomed.example.test");
        assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("connect_error");
        await().atMost(Duration.ofSeconds(5)).until(() -> probe(address).exit() == 1);

        gw.close();
        gw = null;
        Probe gone = probe(address);
        assertThat(gone.exit()).as("nothing listens: refused").isEqualTo(1);
        assertThat(gone.millis()).as("refused at once").isLessThan(1000);
    }

    /** Nothing accepts: the kernel completes the handshake into the backlog, and no byte ever comes back. */
    @Test
    void aListenerThatNeverAnswersFailsTheProbeWithinItsSecond() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Probe p = probe("127.0.0.1:" + silent.getLocalPort());
            assertThat(p.exit()).isEqualTo(1);
            assertThat(p.millis()).as("read -t 1, inside keepalived's timeout 1").isBetween(900L, 3000L);
        }
    }

    @Test
    void bothConfigurationsRunTheProbeWhereThePackageInstallsItAgainstTheShippedAdminAddress() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).as("the package installs the probe in /usr/share/sluice/bin, executable")
                .containsPattern("conf/keepalived/sluice-ready</src><type>file</type>\\s*<mapper><type>perm</type>"
                        + "<prefix>/usr/share/sluice/bin</prefix><user>root</user><group>root</group>"
                        + "<filemode>755</filemode>");
        Matcher admin = Pattern.compile("(?m)^\\s*listen: (\\S+)").matcher(
                Files.readString(DIR.resolve("../gateway.yaml").normalize()).split("\nadmin:", 2)[1]);
        assertThat(admin.find()).isTrue();
        List<String> confs = new ArrayList<>();
        try (var files = Files.list(DIR)) {
            files.filter(f -> f.toString().endsWith(".conf")).sorted().forEach(f -> confs.add(f.getFileName().toString()));
        }
        assertThat(confs).containsExactly("keepalived-active-active.conf", "keepalived.conf");
        for (String name : confs) {
            String conf = Files.readString(DIR.resolve(name));
            assertThat(conf).as(name)
                    .contains("script \"/usr/share/sluice/bin/sluice-ready " + admin.group(1) + "\"")
                    .contains("vrrp_version 3", "advert_int 0.5", "fall 2", "track_script");
            assertThat(Pattern.compile("(?m)^\\s*vrrp_instance ").matcher(conf).results().count()).as(name)
                    .isEqualTo(name.contains("active-active") ? 2 : 1);
        }
        String activePassive = Files.readString(DIR.resolve("keepalived.conf"));
        assertThat(activePassive).contains("nopreempt");
        assertThat(Files.readString(Path.of("..", "README.md"))).as("README's excerpt of keepalived.conf, as shipped")
                .contains("```\n" + activePassive.substring(activePassive.indexOf("vrrp_script sluice_ready {")) + "```\n");
        assertThat(Files.isExecutable(PROBE)).isTrue();
    }
}
