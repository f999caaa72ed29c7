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

    /**
     * Netty's version, from the netty-common line of the META-INF/io.netty.versions.properties that Netty's jars
     * carry (the fat jar appends them). Read as plain properties: Netty's own {@code Version.identify()} also parses
     * every jar's build and commit dates with SimpleDateFormat, which loads the locale data (about 80 classes and
     * a tenth of a second on a busy 2-core machine) at every start for a version number.
     */
    static String netty() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/META-INF/io.netty.versions.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // fall through to Netty's own lookup
        }
        String v = p.getProperty("netty-common.version");
        if (v != null) {
            return v;
        }
        var all = io.netty.util.Version.identify();
        var common = all.getOrDefault("netty-common", all.values().stream().findFirst().orElse(null));
        return common == null ? "unknown" : common.artifactVersion();
    }

    static String describe() {
        return "sluice " + get() + " (netty " + netty() + ", java " + System.getProperty("java.version") + ", " + Transport.detect().name() + " transport)";
    }
}
