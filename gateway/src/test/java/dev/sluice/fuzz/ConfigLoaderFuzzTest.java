package dev.sluice.fuzz;

import static dev.sluice.fuzz.ClientHelloParserFuzzTest.check;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.config.ConfigError;
import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.Position;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link ConfigLoader} with any text (the input bytes as UTF-8). For every input it either returns a
 * configuration or throws {@link ConfigException}; anything else that escapes (NullPointerException,
 * ClassCastException, StackOverflowError from nested or aliased YAML...) is a finding, and so is a hang (see
 * {@code @Timeout}) or a DNS lookup ({@link NoNameLookups}). A ConfigException has at least one error, and every
 * error has a non-blank message and a position in this file with line and column at least 1 and the line inside
 * the text. The password read from a password file shows neither in the configuration's {@code toString} nor in an
 * error message (unless the text itself holds it).
 *
 * <p>The configuration's directory is {@link ConfigSandbox#configDir()}: every path in the text, relative or
 * absolute, resolves inside a zip file system in a temp directory, so the fuzz test reads no file of this machine.
 *
 * <p>Seeds: {@code ConfigLoaderFuzzTestInputs/load/} (the YAML of the configuration tests, a file that uses every
 * key, hostile YAML) and the shipped {@code conf/gateway.yaml}, read where it is.
 */
class ConfigLoaderFuzzTest {
    private static final String FILE = "fuzz.yaml";

    static Stream<Arguments> shippedConfiguration() throws IOException {
        return Stream.of(Arguments.of((Object) Files.readAllBytes(Path.of("..", "conf", "gateway.yaml"))));
    }

    @MethodSource("shippedConfiguration")
    @DictionaryEntries({
        // YAML: documents, directives, block and flow indicators, anchors, aliases, merge keys, tags
        "---", "...", "%YAML 1.1", "%TAG !e! tag:example.com,2000:", "? ", ": ", "- ", "[", "]", "{", "}",
        ", ", "&a ", "*a", "<<: *a", "!!str ", "!!int ", "!!binary ", "!!map ", "!!seq ", "!!null ", "!local ",
        "!<tag:yaml.org,2002:str> ", "|-", ">+", "'", "\"", "#",
        // escapes in double-quoted text, and line breaks SnakeYAML counts (no raw LF or CR: one entry, one line)
        "\\0", "\\x00", "\\u0000", "\\U0001F600", "\\N", "\\L", "\\P", "\\t", "\u0085",
        "\u2028", "\u2029", "\uFEFF",
        // values Sluice reads, and the files of the sandbox
        "splice", "direct", "reject", "redirect", "tproxy", "off", "on", "~", "*.", "[::]:", "::ffff:", "0.0.0.0:",
        "127.0.0.1:", "http://", "https://", "/0", "/32", "/128", "ms", "15m", "proxy.pass", "team.pass",
        "empty.pass", "two-lines.pass", "ca.pem", "client.pem", "client.key", "not-pem.pem", "logs/",
        "/etc/sluice/proxy.pass", "../", "/dev/zero"})
    @FuzzTest
    // Per input: in regression mode JUnit's limit (in its own thread, so a loop can't hold the build), with
    // JAZZER_FUZZ=1 libFuzzer's -timeout=10, so a hang is a finding (then run with timeout.mode=disabled, which
    // keeps JUnit from timing the whole fuzzing run as one invocation).
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void load(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Path dir = ConfigSandbox.configDir();
        boolean secret = !text.contains(ConfigSandbox.PASSWORD); // the fuzzer may learn it and write it in the text
        try {
            GatewayConfig c = ConfigLoader.parse(FILE, text, dir);
            check(c != null, "no configuration and no exception");
            check(c.summary().startsWith(FILE + ": OK: "), "summary: " + c.summary());
            check(!secret || !c.toString().contains(ConfigSandbox.PASSWORD), "the password shows in " + c);
        } catch (ConfigException e) {
            check(!e.errors().isEmpty(), "a ConfigException without errors: " + e.getMessage());
            int lines = lineBreaks(text) + 1;
            for (ConfigError error : e.errors()) {
                Position p = error.position();
                check(p != null && FILE.equals(p.file()), "error without this file's position: " + error);
                check(p.line() >= 1 && p.column() >= 1 && p.line() <= lines,
                        "position outside the " + lines + "-line text: " + error);
                check(error.message() != null && !error.message().isBlank(), "error without a message: " + error);
                check(!secret || !error.message().contains(ConfigSandbox.PASSWORD), "the password shows in " + error);
            }
        }
    }

    @Test
    void aNulInAFileNameIsAnErrorOnTheRealFileSystemToo(@TempDir Path dir) throws IOException {
        String text;
        try (InputStream in = getClass().getResourceAsStream(
                "ConfigLoaderFuzzTestInputs/load/found-by-review-nul-in-a-file-name.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThatThrownBy(() -> ConfigLoader.parse(FILE, text, dir)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.errors()).extracting(Object::toString).containsExactly(
                        FILE + ":6:41: upstream 'corp' auth password_file: not a file name: Nul character not allowed",
                        FILE + ":7:14: upstream 'corp' ca_file: not a file name: Nul character not allowed",
                        FILE + ":8:13: access_log: not a file name: Nul character not allowed"));
    }

    @Test
    void aFileThatIsNotUtf8IsSaidToBeSo(@TempDir Path dir) throws IOException {
        // the crash inputs hold bytes that are not UTF-8; `sluice check` on one said "Input length = 1"
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, "clients: [10.0.0.0/8] # caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.errors()).extracting(Object::toString)
                        .containsExactly(file + ":1:1: cannot read configuration: not UTF-8 text"));
    }

    /** Line breaks as SnakeYAML counts them: LF, CR not before LF, NEL, LS and PS. */
    static int lineBreaks(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029'
                    || (c == '\r' && (i + 1 == s.length() || s.charAt(i + 1) != '\n'))) {
                n++;
            }
        }
        return n;
    }
}
