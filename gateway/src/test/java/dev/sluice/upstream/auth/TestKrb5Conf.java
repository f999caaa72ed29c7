package dev.sluice.upstream.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

/**
 * The krb5.conf of one test class. {@code java.security.krb5.conf} is JVM-wide and the JDK reads the file once, so
 * each Kerberos test class writes its own file (all its realms, in its own temporary directory), points the property
 * at it and makes the JDK read it again; {@link #close()} puts the property back. Surefire runs test classes one after
 * another in one JVM, so one class's file is in force while its tests run. The production {@link Krb5Conf} (set once,
 * for good) is not used here: it is tested by itself.
 *
 * <p>The JDK re-reads krb5.conf only through internal API or a JAAS Krb5LoginModule login with
 * {@code refreshKrb5Config=true}; the latter is used, as a login that needs no network (acceptor side, no key use).
 */
final class TestKrb5Conf implements AutoCloseable {
    private final String before;

    private TestKrb5Conf(String before) {
        this.before = before;
    }

    /**
     * Writes krb5.conf into {@code dir} with {@code defaultRealm} (none when null) and these [realms] stanzas, each
     * realm's hosts "*.{realm in lower case}" mapped to it, and makes the JDK use it.
     */
    static TestKrb5Conf write(Path dir, String defaultRealm, String... realmBlocks) throws IOException {
        StringBuilder realms = new StringBuilder();
        StringBuilder domains = new StringBuilder();
        for (String block : realmBlocks) {
            realms.append(block);
            String realm = block.strip().split("\\s+")[0];
            domains.append("  .").append(realm.toLowerCase(Locale.ROOT)).append(" = ").append(realm).append('\n');
        }
        String conf = """
                [libdefaults]
                %s  dns_lookup_kdc = false
                  dns_lookup_realm = false
                  dns_canonicalize_hostname = false
                  rdns = false
                  udp_preference_limit = 1
                  kdc_timeout = 5000
                  max_retries = 1
                  forwardable = false
                  default_tkt_enctypes = %s
                  default_tgs_enctypes = %s
                  permitted_enctypes = %s
                [realms]
                %s[domain_realm]
                %s""".formatted(defaultRealm == null ? "" : "  default_realm = " + defaultRealm + "\n",
                TestKdc.ENCTYPES, TestKdc.ENCTYPES, TestKdc.ENCTYPES, realms, domains);
        Path file = dir.resolve("krb5.conf");
        Files.writeString(file, conf);
        TestKrb5Conf in = new TestKrb5Conf(System.getProperty(Krb5Conf.PROPERTY));
        System.setProperty(Krb5Conf.PROPERTY, file.toString());
        rereadByJdk(dir);
        return in;
    }

    /** A JAAS login that only makes the JDK read krb5.conf again (no KDC: acceptor side, keys never used). */
    private static void rereadByJdk(Path dir) {
        Map<String, String> options = Map.of(
                "refreshKrb5Config", "true",
                "useKeyTab", "true",
                "keyTab", dir.resolve("none.keytab").toString(),
                "principal", "reread@KRB5CONF.INVALID",
                "storeKey", "true",
                "isInitiator", "false",
                "doNotPrompt", "true",
                "useTicketCache", "false");
        Configuration jaas = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {new AppConfigurationEntry(
                        "com.sun.security.auth.module.Krb5LoginModule",
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)};
            }
        };
        try {
            new LoginContext("reread", new Subject(), null, jaas).login();
        } catch (LoginException e) {
            throw new IllegalStateException("the JDK did not read krb5.conf again: " + e.getMessage(), e);
        }
    }

    /** Puts the property back; the JDK keeps what it read until the next class makes it read its own file. */
    @Override
    public void close() {
        if (before == null) {
            System.clearProperty(Krb5Conf.PROPERTY);
        } else {
            System.setProperty(Krb5Conf.PROPERTY, before);
        }
    }
}
