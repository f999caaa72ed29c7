package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sluice.testing.Keytabs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What {@code sluice check} says of a keytab, offline: no KDC runs in this class. */
class KeytabsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void files() throws Exception {
        Keytabs.write(dir.resolve("gw.keytab"), "gw@KEYTABS.TEST");
        Keytabs.write(dir.resolve("others.keytab"), "a@KEYTABS.TEST", "HTTP/b.keytabs.test@KEYTABS.TEST");
        Files.write(dir.resolve("empty.keytab"), new byte[] {0x05, 0x02});
        byte[] noise = new byte[512];
        new Random(42).nextBytes(noise);
        Files.write(dir.resolve("noise.keytab"), noise);
        Files.writeString(dir.resolve("text.keytab"), "not a keytab\n");
        Files.write(dir.resolve("zero.keytab"), new byte[0]);
        byte[] gw = Files.readAllBytes(dir.resolve("gw.keytab"));
        Files.write(dir.resolve("cut.keytab"), java.util.Arrays.copyOf(gw, gw.length - 7));
        Files.createDirectory(dir.resolve("directory.keytab"));
    }

    @ParameterizedTest(name = "{0} as {1}: {2}")
    @CsvSource(delimiter = '|', nullValues = "fine", textBlock = """
        gw.keytab         | gw@KEYTABS.TEST   | fine
        gw.keytab         | gw                | the principal gw names no realm: write it as gw@REALM
        others.keytab     | HTTP/b.keytabs.test@KEYTABS.TEST | fine
        missing.keytab    | gw@KEYTABS.TEST   | no such file
        directory.keytab  | gw@KEYTABS.TEST   | cannot read: it is a directory
        noise.keytab      | gw@KEYTABS.TEST   | not a keytab
        text.keytab       | gw@KEYTABS.TEST   | not a keytab
        zero.keytab       | gw@KEYTABS.TEST   | not a keytab
        cut.keytab        | gw@KEYTABS.TEST   | not a keytab
        empty.keytab      | gw@KEYTABS.TEST   | holds no key for gw@KEYTABS.TEST (it is empty)
        others.keytab     | gw@KEYTABS.TEST   | holds no key for gw@KEYTABS.TEST (it has: a@KEYTABS.TEST, HTTP/b.keytabs.test@KEYTABS.TEST)
        gw.keytab         | gw@OTHER.TEST     | holds no key for gw@OTHER.TEST (it has: gw@KEYTABS.TEST)
        """)
    void problem(String file, String principal, String problem) {
        assertThat(dev.sluice.config.Keytabs.problem(dir.resolve(file), principal)).isEqualTo(problem);
    }

    @Test
    void unreadableFileIsSaidSo() throws Exception {
        Path keytab = Files.copy(dir.resolve("gw.keytab"), dir.resolve("unreadable.keytab"));
        Files.setPosixFilePermissions(keytab, PosixFilePermissions.fromString("---------"));
        assumeThat(Files.isReadable(keytab)).as("root reads any file").isFalse();

        assertThat(dev.sluice.config.Keytabs.problem(keytab, "gw@KEYTABS.TEST"))
                .isEqualTo("cannot read: permission denied");
    }
}
