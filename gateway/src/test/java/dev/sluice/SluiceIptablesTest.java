package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code iptables/sluice-iptables}, always with {@code --dry-run} (needs neither root nor iptables, changes nothing;
 * the real rules are the end-to-end suite's {@code iptables-*} cases). Its output for each mode, action and option
 * is compared with a golden file in {@code src/test/resources/iptables/}: the first line is the command,
 * {@code $ [VAR=value ...] sluice-iptables ARGS}, then stdout as printed, stderr line by line as {@code stderr: LINE},
 * and {@code exit N}. {@code -Dsluice.golden.update=true} rewrites the files from the script's output (then review
 * the diff). A fake {@code getent} first in {@code PATH} answers proxy names from this test's table, so no real
 * resolver or hosts file is asked; the script runs with an empty environment but for that {@code PATH}.
 */
class SluiceIptablesTest {
    static final Path SCRIPT = Path.of("..", "iptables", "sluice-iptables").toAbsolutePath().normalize();
    static final Path GOLDEN = Path.of("src", "test", "resources", "iptables").toAbsolutePath();
    static final boolean UPDATE = Boolean.getBoolean("sluice.golden.update");

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }

        /** As the golden files hold it. */
        String golden() {
            StringBuilder b = new StringBuilder(out);
            err.lines().forEach(l -> b.append("stderr: ").append(l).append('\n'));
            return b.append("exit ").append(code).append('\n').toString();
        }
    }

    @BeforeEach
    void fakeTools() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        // as glibc's getent: three lines (STREAM, DGRAM, RAW) per address, exit 2 for a name it does not know
        executable(bin.resolve("getent"), """
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
    }

    static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Result run(Map<String, String> env, List<String> args) throws Exception {
        return run(env, args, null);
    }

    /** The script with ARGS and only PATH (the fake tools first) and ENV set; STDIN, if not null, is its input. */
    Result run(Map<String, String> env, List<String> args, String stdin) throws Exception {
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    Result dryRun(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--dry-run"));
        all.addAll(List.of(args));
        return run(Map.of("SLUICE_IPT_DRY_RUN", "1"), all);
    }

    /** One golden file's command: the environment words before {@code sluice-iptables}, the arguments after it. */
    record Command(Map<String, String> env, List<String> args) {
        static final Pattern LINE = Pattern.compile("\\$ ((?:[A-Z0-9_]+=\\S* )*)sluice-iptables((?: \\S+)*)");

        static Command of(Path golden) throws IOException {
            String first = Files.readAllLines(golden).get(0);
            Matcher m = LINE.matcher(first);
            assertThat(m.matches()).as(golden + ": first line '$ [VAR=value ...] sluice-iptables ARGS'").isTrue();
            Map<String, String> env = new LinkedHashMap<>();
            for (String word : m.group(1).trim().split(" ")) {
                if (!word.isEmpty()) {
                    env.put(word.substring(0, word.indexOf('=')), word.substring(word.indexOf('=') + 1));
                }
            }
            List<String> args = m.group(2).isBlank() ? List.of() : List.of(m.group(2).trim().split(" "));
            return new Command(env, args);
        }

        boolean changesNothing() {
            return args.contains("--dry-run") || Set.of("1", "yes", "true", "on").contains(env.getOrDefault("SLUICE_IPT_DRY_RUN", ""))
                    || args.equals(List.of("--help"))
                    || args.stream().noneMatch(a -> a.equals("up") || a.equals("down") || a.equals("show") || a.equals("handoff"));
        }
    }

    static Stream<Path> goldenFiles() throws IOException {
        try (Stream<Path> files = Files.list(GOLDEN)) {
            List<Path> list = files.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
            assertThat(list).as("golden files in " + GOLDEN).isNotEmpty();
            return list.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenFiles")
    void dryRunPrintsWhatItsGoldenFileHolds(Path golden) throws Exception {
        Command c = Command.of(golden);
        assertThat(c.changesNothing()).as(golden + ": only --dry-run (or SLUICE_IPT_DRY_RUN=1), --help or a bad usage").isTrue();
        String first = Files.readAllLines(golden).get(0);
        String actual = first + "\n" + run(c.env(), c.args()).golden();
        if (UPDATE) {
            Files.writeString(golden, actual);
        }
        assertThat(actual).as(golden.getFileName() + " (rewrite with -Dsluice.golden.update=true, then review the diff)")
                .isEqualTo(Files.readString(golden));
    }

    /** Every option of --help, every mode and every action has a golden file: a new one without a golden fails here. */
    @Test
    void everyOptionModeAndActionHasAGoldenFile() throws Exception {
        Set<String> used = new TreeSet<>();
        for (Path golden : goldenFiles().toList()) {
            Command c = Command.of(golden);
            c.args().forEach(a -> used.add(a.replaceFirst("=.*", "")));
            c.env().forEach((k, v) -> used.add(k));
        }
        Result help = run(Map.of(), List.of("--help"));
        assertThat(help.code()).isZero();
        Set<String> options = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^ {2}(-h, )?(--[a-z0-9-]+)").matcher(help.out());
        while (m.find()) {
            options.add(m.group(2));
        }
        Matcher v = Pattern.compile("SLUICE_IPT_[A-Z0-9_]+").matcher(help.out());
        while (v.find()) {
            options.add(v.group());
        }
        assertThat(options).hasSizeGreaterThan(20).contains("--mode", "--ipv6", "--dry-run", "SLUICE_IPT_DRY_RUN");
        assertThat(used).containsAll(options).contains("up", "down", "show", "handoff", "redirect", "tproxy");
    }

    /**
     * The dry-run output is a script that does what it shows: run by bash with fake ip, iptables-restore and
     * ip6tables-restore that record their arguments and input, it makes exactly those calls, in that order.
     */
    @Test
    void theDryRunOutputIsAScriptThatAppliesWhatItShows() throws Exception {
        Path calls = dir.resolve("calls");
        for (String tool : List.of("ip", "iptables-restore", "ip6tables-restore")) {
            executable(dir.resolve("bin").resolve(tool), """
                    #!/bin/bash
                    echo "$(basename "$0") $*" >>"%s"
                    [[ $0 == *-restore ]] && sed 's/^/  /' >>"%s"
                    exit 0
                    """.formatted(calls, calls));
        }
        Result up = dryRun("--mode", "tproxy", "--ipv6", "--lan-if", "eth1", "--proxy", "192.0.2.10,2001:db8::10", "up");
        assertThat(up.code()).as(up.err()).isZero();
        ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail").directory(dir.toFile());
        pb.environment().put("PATH", dir.resolve("bin") + ":/usr/bin:/bin");
        Process bash = pb.redirectErrorStream(true).start();
        bash.getOutputStream().write(up.out().getBytes(StandardCharsets.UTF_8));
        bash.getOutputStream().close();
        String bashOut = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bash.exitValue()).as(bashOut).isZero();

        // what the calls recorded is the dry-run output with each here-document's body as the restore's input
        String expected = up.out().replaceAll("(?m)^(ip6?tables-restore -w --noflush) <<'EOF'$", "$1")
                .replaceAll("(?m)^EOF\\n", "")
                .lines().map(l -> l.startsWith("ip ") || l.startsWith("iptables-restore ") || l.startsWith("ip6tables-restore ")
                        ? l : "  " + l)
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(Files.readString(calls)).isEqualTo(expected);
        assertThat(Files.readString(calls)).contains("ip -6 rule add fwmark 0x1/0x1 lookup 100\nip6tables-restore -w --noflush\n"
                + "  *mangle\n  :SLUICE_TPROXY - [0:0]\n");
    }

    /** P=L with L the --listen-port is P: the same rules, byte for byte, in both modes and with synthetic ranges. */
    @Test
    void aPortSentToTheListenPortItselfIsAPlainPort() throws Exception {
        for (String mode : List.of("redirect", "tproxy")) {
            Result plain = dryRun("--mode", mode, "--ipv6", "--lan-if", "eth1", "--synthetic", "198.18.0.0/15,fdec:5c::/96",
                    "--listen-port", "9443", "--ports", "443,8000:8010", "up");
            Result mapped = dryRun("--mode", mode, "--ipv6", "--lan-if", "eth1", "--synthetic", "198.18.0.0/15,fdec:5c::/96",
                    "--listen-port", "9443", "--ports", "443=9443,8000:8010=9443", "up");
            assertThat(plain.code()).as(plain.err()).isZero();
            assertThat(mapped.golden()).as(mode).isEqualTo(plain.golden());
        }
    }

    @Test
    void aProxyNameIsResolvedOnceAtUpAndOnlyForTheFamiliesSetUp() throws Exception {
        assertThat(dryRun("--lan-if", "eth1", "--proxy", "proxy.corp.example,192.0.2.10", "up").code()).isZero();
        assertThat(Files.readAllLines(dir.resolve("getent.calls"))).containsExactly("ahostsv4 proxy.corp.example");
        Files.delete(dir.resolve("getent.calls"));
        assertThat(dryRun("--ipv6", "--lan-if", "eth1", "--proxy", "proxy.corp.example", "up").code()).isZero();
        assertThat(Files.readAllLines(dir.resolve("getent.calls")))
                .containsExactly("ahostsv4 proxy.corp.example", "ahostsv6 proxy.corp.example");
    }

    @Test
    void aProxyNameIsNeverResolvedByDownOrShow() throws Exception {
        assertThat(dryRun("--lan-if", "eth1", "--proxy", "nowhere.corp.example", "down").code()).isZero();
        assertThat(dryRun("--proxy", "nowhere.corp.example", "show").code()).isZero();
        assertThat(dir.resolve("getent.calls")).doesNotExist();
    }

    @Test
    void aMalformedNameOrAddressIsABadArgument() throws Exception {
        for (String bad : List.of("proxy_1.corp", "10.1.2.300", "-proxy.example", "a..b")) {
            Result r = dryRun("--lan-if", "eth1", "--proxy", bad, "up");
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.lines()).isEmpty();
            assertThat(r.err()).isEqualTo("sluice-iptables: bad address or host name '" + bad + "' in --proxy (see --help)\n");
        }
    }
}
