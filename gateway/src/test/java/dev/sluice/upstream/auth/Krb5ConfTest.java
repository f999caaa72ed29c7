package dev.sluice.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** krb5_conf is JVM-wide: set once, the same again is fine, another one is refused with what to do. */
class Krb5ConfTest {
    @TempDir
    Path dir;

    /** Whatever an earlier test class (an in-process gateway with krb5_conf) chose is forgotten before and after. */
    @BeforeEach
    @AfterEach
    void forget() {
        Krb5Conf.forget();
    }

    @Test
    void firstFileIsUsedAndTheSameAgainIsFine() {
        Path conf = dir.resolve("krb5.conf");
        Krb5Conf.use(conf);
        Krb5Conf.use(dir.resolve(".").resolve("krb5.conf"));

        assertThat(System.getProperty("java.security.krb5.conf")).isEqualTo(conf.toString());
    }

    @Test
    void anotherFileIsRefusedWithWhatToDo() {
        Krb5Conf.use(dir.resolve("krb5.conf"));

        assertThatThrownBy(() -> Krb5Conf.use(dir.resolve("other.conf")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("krb5_conf is JVM-wide and already set to " + dir.resolve("krb5.conf")
                        + "; restart Sluice to use " + dir.resolve("other.conf"));
        assertThat(System.getProperty("java.security.krb5.conf")).isEqualTo(dir.resolve("krb5.conf").toString());
    }

    @Test
    void nullLeavesTheJdkDefault() {
        String before = System.getProperty("java.security.krb5.conf");
        Krb5Conf.use(null);
        Krb5Conf.use(dir.resolve("krb5.conf"));

        assertThat(before).isNotEqualTo(dir.resolve("krb5.conf").toString());
        assertThat(System.getProperty("java.security.krb5.conf")).isEqualTo(dir.resolve("krb5.conf").toString());
    }

    @Test
    void forgettingPutsThePropertyBack() {
        String before = System.getProperty("java.security.krb5.conf");
        Krb5Conf.use(dir.resolve("krb5.conf"));
        Krb5Conf.forget();

        assertThat(System.getProperty("java.security.krb5.conf")).isEqualTo(before);
    }
}
