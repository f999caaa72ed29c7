package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped units as systemd reads them: {@code systemd/verify-units} installs them with the launcher and
 * sluice-iptables at the paths they name, in a temporary root, and runs {@code systemd-analyze verify} (an unknown
 * key, a command that is not there, an ordering cycle fail it). Booting them for real is the package's test.
 */
class SystemdUnitsTest {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void bothUnitsVerifyCleanAsInstalled() throws Exception {
        Tools.require("systemd-analyze", "systemd-analyze is not installed (apt-get install systemd)");
        Process p = new ProcessBuilder(REPO.resolve("systemd/verify-units").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("units: " + out);
        assertThat(out).isEqualTo("""
                $ systemd-analyze verify --root=ROOT /lib/systemd/system/sluice.service
                (exit 0)
                $ systemd-analyze verify --root=ROOT /lib/systemd/system/sluice-iptables.service
                (exit 0)
                """);
        assertThat(p.exitValue()).isZero();
    }
}
