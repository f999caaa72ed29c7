package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a keytab file (MIT format 0x0502) holding one random AES key for each principal: enough for the offline
 * checks of {@code sluice check} (the file parses, it holds the principal). Nothing can log in with it.
 */
public final class Keytabs {
    private Keytabs() {
    }

    public static Path write(Path file, String principal, String... more) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        DataOutputStream a = new DataOutputStream(all);
        a.writeShort(0x0502);
        for (String p : prepend(principal, more)) {
            byte[] entry = entry(p);
            a.writeInt(entry.length);
            a.write(entry);
        }
        Files.write(file, all.toByteArray());
        return file;
    }

    private static String[] prepend(String first, String[] more) {
        String[] all = new String[more.length + 1];
        all[0] = first;
        System.arraycopy(more, 0, all, 1, more.length);
        return all;
    }

    private static byte[] entry(String principal) throws IOException {
        int at = principal.lastIndexOf('@');
        String[] components = principal.substring(0, at).split("/");
        String realm = principal.substring(at + 1);
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        DataOutputStream e = new DataOutputStream(entry);
        e.writeShort(components.length);
        counted(e, realm);
        for (String c : components) {
            counted(e, c);
        }
        e.writeInt(1); // KRB5_NT_PRINCIPAL
        e.writeInt((int) (System.currentTimeMillis() / 1000));
        e.writeByte(1); // kvno
        e.writeShort(18); // aes256-cts-hmac-sha1-96
        e.writeShort(32);
        e.write(new java.security.SecureRandom().generateSeed(32));
        e.writeInt(1);
        return entry.toByteArray();
    }

    private static void counted(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }
}
