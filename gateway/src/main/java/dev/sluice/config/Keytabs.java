package dev.sluice.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.security.auth.DestroyFailedException;
import javax.security.auth.kerberos.KerberosKey;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;

/** What {@code sluice check} verifies without any network: the keytab parses and holds keys for the principal. */
public final class Keytabs {
    /** A keytab holds a few hundred bytes per key; anything this big is not one. */
    private static final int MAX_BYTES = 4 << 20;

    private Keytabs() {
    }

    /**
     * {@code null} when fine, else the problem in words: "no such file", "cannot read: permission denied",
     * "not a keytab", "holds no key for sluice-gw@CORP.EXAMPLE (it has: a@X, b@X)". Never touches the network or
     * the KDC. The principal names its realm; the JDK's own keytab reader (which says which of the keys it would
     * use) reads the JVM's krb5.conf for the permitted encryption types.
     */
    public static String problem(Path keytab, String principal) {
        byte[] bytes;
        try {
            bytes = read(keytab);
        } catch (NoSuchFileException e) {
            return "no such file";
        } catch (AccessDeniedException e) {
            return "cannot read: permission denied";
        } catch (IOException e) {
            return "cannot read: " + words(e);
        }
        if (bytes == null) {
            return "not a keytab (over " + (MAX_BYTES >> 20) + " MiB)";
        }
        var entries = KeytabFile.parse(bytes);
        if (entries == null) {
            return "not a keytab";
        }
        String name = principal;
        if (principal.indexOf('@') < 0) {
            return "the principal " + principal + " names no realm: write it as " + principal + "@REALM";
        }
        KerberosPrincipal kp;
        try {
            kp = new KerberosPrincipal(name, KerberosPrincipal.KRB_NT_PRINCIPAL);
        } catch (IllegalArgumentException e) {
            return "not a principal name: " + principal;
        }
        Set<String> names = new LinkedHashSet<>();
        Set<Integer> types = new TreeSet<>();
        for (KeytabFile.Entry entry : entries) {
            names.add(entry.principal());
            if (entry.principal().equals(kp.getName())) {
                types.add(entry.keyType());
            }
        }
        KerberosKey[] keys;
        try {
            keys = KeyTab.getInstance(kp, keytab.toFile()).getKeys(kp); // the keys of types the JDK will use
        } catch (UnsupportedOperationException e) {
            keys = null; // not on the default file system (the fuzz tests' sandbox): the JDK reads only files
        }
        if (keys == null ? !types.isEmpty() : keys.length > 0) {
            if (keys != null) {
                destroy(keys);
            }
            return null;
        }
        if (!types.isEmpty()) {
            return "holds keys for " + kp.getName() + " only of encryption types this JVM does not use "
                    + "(types " + types + "; see permitted_enctypes and allow_weak_crypto in krb5.conf)";
        }
        return "holds no key for " + kp.getName()
                + (names.isEmpty() ? " (it is empty)" : " (it has: " + String.join(", ", names) + ")");
    }

    /** The file's bytes, or {@code null} when it is too big to be a keytab. */
    private static byte[] read(Path keytab) throws IOException {
        if (Files.isDirectory(keytab)) {
            throw new IOException("it is a directory");
        }
        try (InputStream in = Files.newInputStream(keytab)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            return bytes.length > MAX_BYTES ? null : bytes;
        }
    }

    private static String words(IOException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int colon = m.lastIndexOf(": ");
        String reason = colon >= 0 ? m.substring(colon + 2) : m;
        return reason.isEmpty() ? m : reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
    }

    private static void destroy(KerberosKey[] keys) {
        for (KerberosKey key : keys) {
            try {
                key.destroy();
            } catch (DestroyFailedException e) {
                // nothing more to do: the key object goes with the garbage
            }
        }
    }
}
