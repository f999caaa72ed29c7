package dev.sluice;

import dev.sluice.io.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version the jar was built as. */
final class Version {
    private Version() {
    }

    static String get() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/sluice-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // fall through to "unknown"
        }
        return p.getProperty("version", "unknown");
    }

    static String netty() {
        return io.netty.util.Version.identify().getOrDefault("netty-common",
                io.netty.util.Version.identify().values().stream().findFirst().orElse(null)).artifactVersion();
    }

    static String describe() {
        return "sluice " + get() + " (netty " + netty() + ", java " + System.getProperty("java.version") + ", " + Transport.detect().name() + " transport)";
    }
}
