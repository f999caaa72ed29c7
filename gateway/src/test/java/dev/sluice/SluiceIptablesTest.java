package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iptables/sluice-iptables --proxy NAME}: names resolved once at up, their addresses printed and excluded.
 * Always --dry-run (needs neither root nor iptables, changes nothing), with a fake {@code getent} first in PATH
 * answering from this test's table, so no real resolver or hosts file is asked.
 */
class SluiceIptablesTest {
    static final Path SCRIPT = Path.of("..", "iptables", "sluice-iptables").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    record Result(int code, List<String> out, String err) {
    }

    @BeforeEach
    void fakeGetent() throws Exception {
        Path getent = Files.createDirectories(dir.resolve("bin")).resolve("getent");
        // as glibc's getent: three lines (STREAM, DGRAM, RAW) per address, exit 2 for a name it does not know
        Files.writeString(getent, """
                #!/bin/bash
                echo "$1 $2" >>"%s"
                case "$1 $2" in
                  "ahostsv4 proxy.corp.example")
                    for a in 10.1.2.3 10.1.2.4; do printf '%%-15s STREAM proxy.corp.example\\n%%-15s DGRAM\\n%%-15s RAW\\n' $a $a $a; done ;;
                  "ahostsv6 proxy.corp.example")
                    printf '2001:db8::3     STREAM proxy.corp.example\\n::ffff:10.1.2.3 STREAM\\n' ;;
                  "ahostsv6 v4only.example") printf '::ffff:10.9.9.9 STREAM v4only.example\\n' ;;
                  "ahostsv4 v4only.example") printf '10.9.9.9        STREAM v4only.example\\n' ;;
                  *) exit 2 ;;
                esac
                """.formatted(dir.resolve("getent.calls")));
        Files.setPosixFilePermissions(getent, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Result dryRun(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), "--dry-run"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
        pb.environment().put("SLUICE_IPT_DRY_RUN", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(),
                new String(err, StandardCharsets.UTF_8));
    }

    static String ret(String ipt, String dst) {
        return ipt + " -w -t nat -A SLUICE -d " + dst + " -m comment --comment sluice -j RETURN";
    }

    @Test
    void upResolvesAProxyNameOncePrintsEveryAddressAndExcludesEach() throws Exception {
        Result r = dryRun("--lan-if", "eth1", "--proxy", "proxy.corp.example,192.0.2.10", "up");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out().get(0)).isEqualTo("# proxy.corp.example -> 10.1.2.3, 10.1.2.4");
        assertThat(r.out()).containsSubsequence(ret("iptables", "240.0.0.0/4"), ret("iptables", "192.0.2.10"),
                ret("iptables", "10.1.2.3"), ret("iptables", "10.1.2.4"),
                "iptables -w -t nat -A SLUICE -p tcp -m multiport --dports 443 -m comment --comment sluice -j REDIRECT --to-ports 8443");
        assertThat(r.out()).noneMatch(l -> l.contains("proxy.corp.example") && !l.startsWith("#"));
        assertThat(Files.readAllLines(dir.resolve("getent.calls"))).containsExactly("ahostsv4 proxy.corp.example");
    }

    @Test
    void withIpv6ItsIpv6AddressesAreExcludedToo() throws Exception {
        Result r = dryRun("--ipv6", "--lan-if", "eth1", "--proxy", "proxy.corp.example,v4only.example", "up");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("# proxy.corp.example -> 10.1.2.3, 10.1.2.4, 2001:db8::3",
                "# v4only.example -> 10.9.9.9");
        assertThat(r.out()).contains(ret("ip6tables", "2001:db8::3"), ret("iptables", "10.9.9.9"));
        // ::ffff:a.b.c.d (what ahostsv6 makes of an IPv4 address) is no rule of ip6tables
        assertThat(r.out()).noneMatch(l -> l.contains("::ffff:"));
    }

    @Test
    void aNameThatDoesNotResolveStopsUpBeforeAnyCommand() throws Exception {
        Result r = dryRun("--lan-if", "eth1", "--proxy", "192.0.2.10,nowhere.corp.example", "up");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("sluice-iptables: --proxy nowhere.corp.example: the name does not resolve to an "
                + "IPv4 address (getent ahostsv4 found none; it finds none either while this host has no IPv4 address but "
                + "loopback); give the proxy's address or fix its name\n");
    }

    @Test
    void aMalformedNameOrAddressIsABadArgument() throws Exception {
        for (String bad : List.of("proxy_1.corp", "10.1.2.300", "-proxy.example", "a..b")) {
            Result r = dryRun("--lan-if", "eth1", "--proxy", bad, "up");
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err()).isEqualTo("sluice-iptables: bad address or host name '" + bad + "' in --proxy (see --help)\n");
        }
    }

    @Test
    void downAndShowNeedNoResolution() throws Exception {
        assertThat(dryRun("--lan-if", "eth1", "--proxy", "nowhere.corp.example", "down").code()).isZero();
        assertThat(dryRun("--proxy", "nowhere.corp.example", "show").code()).isZero();
        assertThat(dir.resolve("getent.calls")).doesNotExist();
    }
}
