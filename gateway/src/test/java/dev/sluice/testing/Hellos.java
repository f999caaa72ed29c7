package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Hand-built TLS ClientHellos whose server name is any bytes a test chooses: a well-formed record and handshake
 * (TLS 1.2 version field, one cipher suite, null compression) with a single server_name extension. Real clients
 * refuse to send a name like {@code <img src=x>}; an attacker's own bytes do not.
 */
public final class Hellos {
    private Hellos() {
    }

    /** A real client's ClientHello from {@code src/test/resources/hellos/} ({@code go.bin}, {@code curl.bin}, ...). */
    public static byte[] captured(String name) {
        try (InputStream in = Hellos.class.getResourceAsStream("/hellos/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no captured hello " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A complete ClientHello record carrying {@code serverName} (its bytes taken as ISO-8859-1). */
    public static byte[] withServerName(String serverName) {
        return withExtensions(serverNameExtension(serverName));
    }

    /** A server_name extension with one host_name entry per name (two are malformed: RFC 6066 allows one). */
    public static byte[] serverNameExtension(String... names) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String n : names) {
            byte[] b = n.getBytes(StandardCharsets.ISO_8859_1);
            list.write(0); // name type: host_name
            u16(list, b.length);
            list.writeBytes(b);
        }
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        u16(ext, 0); // extension type: server_name
        u16(ext, list.size() + 2);
        u16(ext, list.size()); // server_name_list
        ext.writeBytes(list.toByteArray());
        return ext.toByteArray();
    }

    /** A complete ClientHello record with these extensions, in this order. */
    public static byte[] withExtensions(byte[]... extensions) {
        ByteArrayOutputStream exts = new ByteArrayOutputStream();
        for (byte[] e : extensions) {
            exts.writeBytes(e);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {3, 3}); // client_version TLS 1.2
        body.writeBytes(new byte[32]); // random
        body.write(0); // no session id
        u16(body, 2);
        body.writeBytes(new byte[] {0x13, 0x01}); // TLS_AES_128_GCM_SHA256
        body.writeBytes(new byte[] {1, 0}); // one compression method: null
        u16(body, exts.size());
        body.writeBytes(exts.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[] {22, 3, 1}); // handshake record, TLS 1.0 record version
        u16(record, body.size() + 4);
        record.write(1); // ClientHello
        record.write(body.size() >>> 16);
        u16(record, body.size() & 0xffff);
        record.writeBytes(body.toByteArray());
        return record.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v & 0xff);
    }
}
