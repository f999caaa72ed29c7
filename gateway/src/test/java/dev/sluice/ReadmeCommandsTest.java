package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's {@code console} blocks are run and their output compared, so what an operator copies cannot go
 * stale: each {@code $ command} line is run and must print exactly the lines that follow it (with
 * {@code ; echo "exit $?"} after it, then its exit status as the last line). {@code $ cat FILE}
 * followed by text writes that file (in a temporary directory) for the commands after it. {@code bin/sluice} runs
 * in this JVM from the top of the repository; {@code iptables/sluice-iptables} runs as a process (only with
 * {@code --dry-run}: it changes nothing); {@code demo/run} is the demo, run by {@link DemoScriptTest}; the build
 * ({@code mvn -q -DskipTests package}) is what the end-to-end suite and the benchmark run first. Any other
 * command in a console block fails this test: a command the README shows is run by a test.
 */
class ReadmeCommandsTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern BLOCK = Pattern.compile("(?ms)^```console\\n(.*?)^```$");

    @TempDir
    Path dir;
    private int lastStatus;

    record Step(String command, String expected, int line) {
        @Override
        public String toString() {
            return "README.md:" + line + ": $ " + command;
        }
    }

    /** Each block's steps, in order; a block's files are written by its own {@code cat} steps. */
    static Stream<List<Step>> blocks() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        List<List<Step>> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            int line = readme.substring(0, m.start()).split("\n", -1).length + 1;
            List<Step> steps = new ArrayList<>();
            String command = null;
            StringBuilder out = new StringBuilder();
            int at = line;
            for (String l : m.group(1).split("\n", -1)) {
                if (l.startsWith("$ ")) {
                    if (command != null) {
                        steps.add(new Step(command, out.toString().stripTrailing(), at));
                    }
                    command = l.substring(2);
                    out.setLength(0);
                    at = line;
                } else if (command != null) {
                    out.append(l).append('\n');
                }
                line++;
            }
            if (command != null) {
                steps.add(new Step(command, out.toString().stripTrailing(), at));
            }
            blocks.add(steps);
        }
        return blocks.stream();
    }

    @Test
    void theReadmeShowsCommandsToRun() throws IOException {
        List<String> commands = blocks().flatMap(List::stream).map(Step::command).toList();
        assertThat(commands).anyMatch(c -> c.startsWith("bin/sluice check "))
                .anyMatch(c -> c.startsWith("bin/sluice explain "))
                .anyMatch(c -> c.startsWith("demo/run"));
    }

    /** Every link goes to a heading of the same file or a file of the repository: nothing outside it. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"README.md", "TESTING.md", "ARCHITECTURE.md",
            "iptables/README.md", "e2e/README.md", "bench/README.md"})
    void everyLinkResolvesInsideTheRepository(String doc) throws IOException {
        Path file = REPO.resolve(doc);
        String text = Files.readString(file);
        java.util.Set<String> anchors = new java.util.HashSet<>();
        boolean fenced = false;
        for (String l : text.split("\n")) {
            fenced ^= l.startsWith("```");
            if (!fenced && l.matches("#+ .*")) {
                anchors.add(l.replaceFirst("#+ ", "").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9 _-]", "")
                        .replace(' ', '-'));
            }
        }
        Matcher link = Pattern.compile("\\]\\(([^)\\s]+)\\)").matcher(text);
        List<String> broken = new ArrayList<>();
        while (link.find()) {
            String target = link.group(1);
            boolean ok = target.startsWith("#") ? anchors.contains(target.substring(1))
                    : !target.contains("://") && Files.exists(file.getParent().resolve(target.replaceFirst("#.*", "")));
            if (!ok) {
                broken.add(target);
            }
        }
        assertThat(broken).as(doc + ": links to no heading, or outside the repository").isEmpty();
    }

    @ParameterizedTest
    @MethodSource("blocks")
    void eachConsoleBlockPrintsWhatItShows(List<Step> steps) throws Exception {
        for (Step step : steps) {
            // "COMMAND; echo \"exit $?\"" shows the exit status as a last line
            boolean status = step.command().endsWith("; echo \"exit $?\"");
            List<String> argv = List.of(step.command().replace("; echo \"exit $?\"", "").split(" +"));
            String actual;
            switch (argv.get(0)) {
                case "cat" -> {
                    Files.writeString(dir.resolve(argv.get(1)), step.expected() + "\n");
                    continue;
                }
                case "bin/sluice" -> actual = sluice(argv.subList(1, argv.size()));
                case "iptables/sluice-iptables" -> {
                    assertThat(argv).as(step + ": only --dry-run changes nothing").contains("--dry-run");
                    actual = process(argv);
                }
                case "demo/run" -> {
                    continue; // DemoScriptTest runs it and checks the lines shown here against its output
                }
                case "mvn" -> {
                    assertThat(step.command()).isEqualTo("mvn -q -DskipTests package"); // what e2e/run and bench/run build with
                    continue;
                }
                default -> throw new AssertionError(step + ": no test runs this command");
            }
            if (status) {
                actual = actual + "exit " + lastStatus + "\n";
            }
            assertThat(actual.stripTrailing()).as(step.toString()).isEqualTo(step.expected());
        }
    }

    /** {@code bin/sluice ARGS} as typed at the top of the repository; files a block wrote are in {@link #dir}. */
    private String sluice(List<String> args) {
        List<String> mapped = new ArrayList<>();
        for (String a : args) {
            mapped.add(Files.exists(dir.resolve(a)) ? dir.resolve(a).toString()
                    : Files.exists(REPO.resolve(a)) && !a.startsWith("-") ? REPO.resolve(a).toString() : a);
        }
        SluiceCommandLineTest.Result r = SluiceCommandLineTest.sluice(mapped.toArray(String[]::new));
        lastStatus = r.code();
        return (r.out() + r.err()).replace(dir + "/", "").replace(REPO + "/", "");
    }

    private String process(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).directory(REPO.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        lastStatus = p.exitValue();
        return output;
    }
}
