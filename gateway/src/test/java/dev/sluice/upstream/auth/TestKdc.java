package dev.sluice.upstream.auth;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kerby.kerberos.kerb.KrbException;
import org.apache.kerby.kerberos.kerb.admin.kadmin.local.LocalKadminImpl;
import org.apache.kerby.kerberos.kerb.crypto.EncryptionHandler;
import org.apache.kerby.kerberos.kerb.identity.backend.BackendConfig;
import org.apache.kerby.kerberos.kerb.keytab.Keytab;
import org.apache.kerby.kerberos.kerb.keytab.KeytabEntry;
import org.apache.kerby.kerberos.kerb.server.KdcConfig;
import org.apache.kerby.kerberos.kerb.server.KdcConfigKey;
import org.apache.kerby.kerberos.kerb.server.KdcServer;
import org.apache.kerby.kerberos.kerb.type.KerberosTime;
import org.apache.kerby.kerberos.kerb.type.base.EncryptionType;
import org.apache.kerby.kerberos.kerb.type.base.PrincipalName;

/**
 * One realm's KDC in the test JVM (Apache Kerby): TCP only, on a free port of 127.0.0.1, AES keys only. Made and
 * initialised stopped, so a test can first see it down; {@link #realmBlock()} is its part of the test class's
 * krb5.conf. Hosts of this realm are "*.{realm in lower case}" (mapped in [domain_realm]).
 */
final class TestKdc implements AutoCloseable {
    static final String ENCTYPES = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96";

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private final String realm;
    private final Path dir;
    private final KdcServer kdc;
    private final LocalKadminImpl kadmin;
    private boolean running;

    private TestKdc(String realm, Path dir, KdcServer kdc, LocalKadminImpl kadmin) {
        this.realm = realm;
        this.dir = dir;
        this.kdc = kdc;
        this.kadmin = kadmin;
    }

    /** A KDC for {@code realm} working in {@code dir}, initialised, not yet started. */
    static TestKdc create(Path dir, String realm) throws KrbException, IOException {
        Path work = Files.createDirectories(dir.resolve("kdc-" + realm.toLowerCase(Locale.ROOT)));
        // Everything through KdcConfig: Kerby's "startup options" (SimpleKdcServer's setKdcRealm, setKdcPort...)
        // keep their values in enum constants, so a second KDC in the JVM overwrites the first one's realm and port.
        KdcConfig config = new KdcConfig();
        config.setString(KdcConfigKey.KDC_REALM, realm);
        config.setString(KdcConfigKey.KDC_HOST, "127.0.0.1");
        config.setInt(KdcConfigKey.KDC_TCP_PORT, freePort());
        config.setBoolean(KdcConfigKey.KDC_ALLOW_TCP, true);
        config.setBoolean(KdcConfigKey.KDC_ALLOW_UDP, false);
        config.setString(KdcConfigKey.ENCRYPTION_TYPES, ENCTYPES);
        config.setLong(KdcConfigKey.MINIMUM_TICKET_LIFETIME, 0L);
        KdcServer kdc = new KdcServer(config, new BackendConfig());
        kdc.init();
        LocalKadminImpl kadmin = new LocalKadminImpl(kdc.getKdcSetting(), kdc.getIdentityService());
        kadmin.createBuiltinPrincipals();
        return new TestKdc(realm, work, kdc, kadmin);
    }

    /**
     * A port free on 127.0.0.1 and never handed out before in this JVM (two KDCs must never share one).
     */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    String realm() {
        return realm;
    }

    int port() {
        return kdc.getKdcSetting().getKdcTcpPort();
    }

    /** "proxy.{realm}": a host whose host-based SPNs ("HTTP@host") are in this realm. */
    String host(String name) {
        return name + "." + realm.toLowerCase(Locale.ROOT);
    }

    /** Tickets end this long after they are issued (Kerby's default is a day). */
    TestKdc ticketLifetime(Duration lifetime) {
        kdc.getKdcConfig().setLong(KdcConfigKey.MAXIMUM_TICKET_LIFETIME, lifetime.toSeconds());
        return this;
    }

    /** Allowed difference of a client's clock, in seconds; 0 makes every TGS request "Clock skew too great". */
    TestKdc allowableClockSkew(long seconds) {
        kdc.getKdcConfig().setLong(KdcConfigKey.ALLOWABLE_CLOCKSKEW, seconds);
        return this;
    }

    /** Whether an AS request must carry an encrypted timestamp (Kerby and MIT default: yes). */
    TestKdc preauthRequired(boolean required) {
        kdc.getKdcConfig().setBoolean(KdcConfigKey.PREAUTH_REQUIRED, required);
        return this;
    }

    synchronized TestKdc start() throws KrbException {
        if (!running) {
            kdc.start();
            running = true;
        }
        return this;
    }

    synchronized void stop() throws KrbException {
        if (running) {
            kdc.stop();
            running = false;
        }
    }

    /** Adds {@code name@REALM} with a random key and writes its keytab to {@code name-with-dashes.keytab}. */
    Path keytab(String name) throws KrbException {
        String principal = name + "@" + realm;
        kadmin.addPrincipal(principal);
        Path keytab = dir.resolve(name.replace('/', '-') + ".keytab");
        kadmin.exportKeytab(keytab.toFile(), principal);
        return keytab;
    }

    /** Adds {@code name@REALM} without writing a keytab. */
    void principal(String name) throws KrbException {
        kadmin.addPrincipal(name + "@" + realm);
    }

    /** Removes {@code name@REALM} from the KDC. */
    void remove(String name) throws KrbException {
        kadmin.deletePrincipal(name + "@" + realm);
    }

    /** A keytab the KDC never saw: each principal with random AES keys of version {@code kvno}. */
    static Path strayKeytab(Path file, String principal, int kvno, String... more) throws KrbException, IOException {
        Keytab keytab = new Keytab();
        for (String each : concat(principal, more)) {
            PrincipalName name = new PrincipalName(each);
            for (EncryptionType type : List.of(EncryptionType.AES256_CTS_HMAC_SHA1_96,
                    EncryptionType.AES128_CTS_HMAC_SHA1_96)) {
                keytab.addEntry(new KeytabEntry(name, KerberosTime.now(), kvno, EncryptionHandler.random2Key(type)));
            }
        }
        keytab.store(file.toFile());
        return file;
    }

    private static List<String> concat(String first, String... more) {
        List<String> all = new java.util.ArrayList<>(List.of(more));
        all.add(0, first);
        return all;
    }

    /** This realm's stanza for [realms] in krb5.conf. */
    String realmBlock() {
        return realmBlock(realm, port(), null);
    }

    static String realmBlock(String realm, int port, Duration kdcTimeout) {
        return "  " + realm + " = {\n    kdc = 127.0.0.1:" + port + "\n"
                + (kdcTimeout == null ? "" : "    kdc_timeout = " + kdcTimeout.toMillis() + "\n")
                + "  }\n";
    }

    @Override
    public void close() throws KrbException {
        stop();
    }
}
