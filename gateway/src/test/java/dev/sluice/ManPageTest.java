package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The package's man pages ({@code packaging/man/*.8}) cannot fall behind the commands: every command and option
 * that {@code --help} shows, and every environment variable the scripts read, is named in the page.
 */
class ManPageTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    /** An option where --help defines it: a line that starts with blanks, then "-x, --name" or "--name". */
    private static final Pattern LONG_OPTION = Pattern.compile("(?m)^\\s+(?:-\\w, )?(--[a-z][a-z0-9-]*)");

    /** The page's text with troff's escaped hyphens as hyphens. */
    private static String page(String name) throws Exception {
        return Files.readString(REPO.resolve("packaging/man/" + name)).replace("\\-", "-");
    }

    private static TreeSet<String> matches(Pattern p, String text) {
        TreeSet<String> found = new TreeSet<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            found.add(m.group(m.groupCount()));
        }
        return found;
    }

    @Test
    void sluice8NamesEveryCommandOptionAndLauncherVariable() throws Exception {
        String page = page("sluice.8");
        StringBuilder help = new StringBuilder(SluiceCommandLineTest.sluice("--help").out());
        List<String> commands = List.of("run", "check", "explain", "version");
        for (String command : commands) {
            help.append(SluiceCommandLineTest.sluice(command, "--help").out());
            assertThat(page).as("sluice.8 describes the command %s", command).contains(".B " + command + "\n");
        }
        TreeSet<String> options = matches(LONG_OPTION, help.toString());
        assertThat(options).contains("--config", "--sni", "--client", "--dst", "--listener", "--help", "--version");
        assertThat(options).allSatisfy(o -> assertThat(page).as("sluice.8 names %s", o).contains(o));

        TreeSet<String> variables = matches(Pattern.compile("\\bSLUICE_[A-Z_]+|\\bJAVA_HOME\\b"),
                Files.readString(REPO.resolve("bin/sluice")));
        assertThat(variables).contains("JAVA_HOME", "SLUICE_JAR", "SLUICE_JAVA_OPTS");
        assertThat(variables).allSatisfy(v -> assertThat(page).as("sluice.8 names %s", v).contains(".B " + v + "\n"));
    }

    @Test
    void sluiceIptables8NamesEveryOptionAndVariable() throws Exception {
        String page = page("sluice-iptables.8");
        Process p = new ProcessBuilder(REPO.resolve("iptables/sluice-iptables").toString(), "--help")
                .redirectErrorStream(true).start();
        String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        TreeSet<String> options = matches(LONG_OPTION, help);
        assertThat(options).contains("--mode", "--lan-if", "--proxy", "--dry-run", "--ipv6");
        assertThat(options).allSatisfy(o -> assertThat(page).as("sluice-iptables.8 names %s", o).contains(o));
        TreeSet<String> variables = matches(Pattern.compile("\\bSLUICE_IPT_[A-Z_0-9]+"), help);
        assertThat(variables).hasSizeGreaterThan(10);
        assertThat(variables).allSatisfy(v -> assertThat(page).as("sluice-iptables.8 names %s", v).contains(v));
        for (String action : List.of("up", "down", "show")) {
            assertThat(page).contains(".B " + action + "\n");
        }
    }
}
