package dev.sluice.upstream.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * The default realm, where it can be known without the network: the {@code java.security.krb5.realm} property, else
 * {@code default_realm} in [libdefaults] of the krb5.conf the JDK reads. (The JDK itself would go on to DNS.)
 */
final class DefaultRealm {
    private DefaultRealm() {
    }

    /** The default realm, or {@code null} when it cannot be known offline. */
    static String offline() {
        String property = System.getProperty("java.security.krb5.realm");
        if (property != null && !property.isBlank()) {
            return property.trim();
        }
        Path conf = krb5Conf();
        if (conf == null) {
            return null;
        }
        try {
            return fromConf(Files.readAllLines(conf, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code default_realm} in the [libdefaults] section of these krb5.conf lines, or {@code null}. */
    static String fromConf(List<String> lines) {
        boolean libdefaults = false;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                libdefaults = line.toLowerCase(Locale.ROOT).startsWith("[libdefaults]");
                continue;
            }
            int eq = line.indexOf('=');
            if (libdefaults && eq > 0 && line.substring(0, eq).strip().equals("default_realm")) {
                String realm = line.substring(eq + 1).strip();
                return realm.isEmpty() ? null : realm;
            }
        }
        return null;
    }

    /** The file the JDK reads: the property, else its own conf/security/krb5.conf, else /etc/krb5.conf (Linux). */
    private static Path krb5Conf() {
        String property = System.getProperty(Krb5Conf.PROPERTY);
        if (property != null && !property.isBlank()) {
            return Paths.get(property);
        }
        Path jdk = Paths.get(System.getProperty("java.home"), "conf", "security", "krb5.conf");
        if (Files.isRegularFile(jdk)) {
            return jdk;
        }
        Path etc = Paths.get("/etc/krb5.conf");
        return Files.isRegularFile(etc) ? etc : null;
    }
}
