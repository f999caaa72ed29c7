package dev.sluice.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The Debian tools a few tests drive for real (chromium, tinyproxy, curl, systemd-analyze). On a developer's machine
 * a missing one skips the test with the reason; under CI ({@code CI} set, as {@code .ci/run} does, which installs
 * them all) it fails the test: CI never skips.
 */
public final class Tools {
    private Tools() {
    }

    /** {@code tool} as found on PATH; {@code why} says what is missing and how to get it. */
    public static Path require(String tool, String why) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        if (System.getenv("CI") != null) {
            fail(tool + " missing: .ci/run installs it (" + why + ")");
        }
        Assumptions.abort(why);
        return null;
    }
}
