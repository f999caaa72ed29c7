package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of the house (ARCHITECTURE.md, "Packages and what may import what"), read from the sources: lower
 * packages never import higher ones, there is no cycle between packages, the pure packages know nothing of Netty,
 * and no class grows past the size where it stops doing one thing.
 */
class PackageRulesTest {
    static final Path SOURCES = Path.of("src/main/java").toAbsolutePath();
    static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    /** Imports, and fully qualified names in code: both are dependencies. */
    static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.sluice(?:\\.[a-z]\\w*)*)\\.[A-Z]");
    static final Pattern NETTY = Pattern.compile("\\bio\\.netty(?:\\.[a-z]\\w*)*\\.[A-Z]");
    static final int MAX_LINES = 400;

    /** Package (without "dev.sluice") to the packages of this project it may use; "" is the root. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("net", Set.of()),
            Map.entry("config", Set.of("net")),
            Map.entry("policy", Set.of("config", "net")),
            Map.entry("relay", Set.of()),
            Map.entry("inbound", Set.of("config", "net")),
            Map.entry("upstream.auth", Set.of("config", "net")),
            Map.entry("upstream", Set.of("config", "net", "upstream.auth")),
            Map.entry("dns", Set.of("config", "net", "policy", "io")),
            Map.entry("session", Set.of("config", "net", "policy", "relay", "inbound", "upstream", "dns")),
            Map.entry("observe", Set.of("config", "policy", "session", "upstream")),
            Map.entry("observe.logging", Set.of("observe", "config", "net", "session", "upstream", "dns")),
            Map.entry("observe.metrics", Set.of("observe", "observe.logging", "config", "net", "session", "upstream",
                    "dns")),
            Map.entry("observe.admin", Set.of("observe", "observe.metrics", "config", "net", "policy", "session",
                    "upstream")),
            Map.entry("observe.systemd", Set.of()),
            Map.entry("io", Set.of("config", "net", "inbound", "relay", "upstream")),
            Map.entry("", Set.of("config", "net", "policy", "relay", "inbound", "upstream", "upstream.auth",
                    "session", "io", "dns", "observe", "observe.logging", "observe.metrics", "observe.admin",
                    "observe.systemd")));
    /** Packages that must not see Netty at all. */
    static final Set<String> PURE = Set.of("net", "config", "policy");

    static final Map<String, Set<String>> uses = new TreeMap<>(); // package -> project packages it references
    static final Set<String> usesNetty = new TreeSet<>();
    static final List<String> tooLong = new ArrayList<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(PackageRulesTest::readFile);
        }
    }

    static void readFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher p = PACKAGE.matcher(text);
        assertThat(p.find()).as("package line of %s", file).isTrue();
        String pkg = shortName(p.group(1));
        Set<String> used = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            if (!shortName(m.group(1)).equals(pkg)) {
                used.add(shortName(m.group(1)));
            }
        }
        if (NETTY.matcher(text).find()) {
            usesNetty.add(pkg);
        }
        long lines = text.lines().count();
        if (lines > MAX_LINES) {
            tooLong.add(SOURCES.relativize(file) + " (" + lines + " lines)");
        }
    }

    static String shortName(String pkg) {
        return pkg.equals("dev.sluice") ? "" : pkg.substring("dev.sluice.".length());
    }

    @Test
    void lowerPackagesUseOnlyWhatIsBelowThem() {
        assertThat(uses.keySet()).as("every package has its rule, every rule its package")
                .containsExactlyInAnyOrderElementsOf(ALLOWED.keySet());
        ALLOWED.forEach((pkg, allowed) ->
                assertThat(uses.get(pkg)).as("what %s uses", pkg).isSubsetOf(allowed));
    }

    @Test
    void noPackageReachesItself() {
        for (String start : uses.keySet()) {
            List<String> path = cycleFrom(start, start, new ArrayList<>(), new TreeSet<>());
            assertThat(path).as("a cycle through %s", start).isNull();
        }
    }

    /** A path of packages from {@code at} back to {@code start}, or null. */
    static List<String> cycleFrom(String start, String at, List<String> path, Set<String> seen) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            List<String> longer = new ArrayList<>(path);
            longer.add(next);
            if (next.equals(start)) {
                return longer;
            }
            if (seen.add(next)) {
                List<String> found = cycleFrom(start, next, longer, seen);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    @Test
    void configNetAndPolicyKnowNothingOfNetty() {
        assertThat(usesNetty).as("packages that use Netty").doesNotContainAnyElementsOf(PURE);
    }

    @Test
    void noClassIsOverFourHundredLines() {
        assertThat(tooLong).as("classes over %d lines: split them by job", MAX_LINES).isEmpty();
    }
}
