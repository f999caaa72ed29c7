package dev.sluice.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The directory the configuration fuzz test gives the loader as the configuration's own: {@code /conf} inside a
 * zip file system kept in a fresh temp directory. The loader resolves every path it is given against that
 * directory ({@code Path.resolve}), absolute ones included, so whatever path the fuzzer writes ({@code /etc/shadow},
 * {@code ../../root}, {@code /dev/zero}, {@code /dev/stdin}) names a file in the archive: nothing outside the temp
 * directory can be read, blocked on or written.
 *
 * <p>It holds what the seeds name: {@code /etc/sluice/proxy.pass} (the path in the example),
 * {@code /conf/proxy.pass}, an empty and a two-line password file, the test PKI's CA, client certificate and key,
 * a file that is not PEM, a keytab for {@code sluice-gw@CORP.EXAMPLE} and a krb5.conf, and the directories
 * {@code /conf/logs} and {@code /var/log/sluice}.
 */
final class ConfigSandbox {
    /** The content of every valid password file in the sandbox: never to be shown by the loader. */
    static final String PASSWORD = "fuzz-Pa55-7c1e9b";

    private static ConfigSandbox instance;

    private final Path tempDir;
    private final FileSystem zip;

    private ConfigSandbox() throws IOException {
        tempDir = Files.createTempDirectory("sluice-config-fuzz-");
        Path archive = tempDir.resolve("sandbox.zip");
        try (FileSystem fs = FileSystems.newFileSystem(archive, Map.of("create", "true"))) {
            write(fs, "/etc/sluice/proxy.pass", PASSWORD + "\n");
            write(fs, "/conf/proxy.pass", PASSWORD + "\n");
            write(fs, "/conf/team.pass", PASSWORD);
            write(fs, "/conf/empty.pass", "");
            write(fs, "/conf/two-lines.pass", "first\nsecond\n");
            write(fs, "/conf/not-pem.pem", "this is not a certificate\n");
            for (String name : new String[] {"ca.pem", "client.pem", "client.key"}) {
                write(fs, "/conf/" + name, resource("/tls/" + name));
            }
            dev.sluice.testing.Keytabs.write(fs.getPath("/conf/sluice.keytab"), "sluice-gw@CORP.EXAMPLE");
            write(fs, "/conf/krb5.conf", "[libdefaults]\n default_realm = CORP.EXAMPLE\n");
            Files.createDirectories(fs.getPath("/conf/logs"));
            Files.createDirectories(fs.getPath("/var/log/sluice"));
        }
        zip = FileSystems.newFileSystem(archive, Map.of());
        Runtime.getRuntime().addShutdownHook(new Thread(this::delete, "config-sandbox-cleanup"));
    }

    /** The configuration directory, {@code /conf} in the sandbox (created at the first call). */
    static synchronized Path configDir() {
        if (instance == null) {
            try {
                instance = new ConfigSandbox();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance.zip.getPath("/conf");
    }

    private static void write(FileSystem fs, String path, String content) throws IOException {
        Path p = fs.getPath(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ConfigSandbox.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("test resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    private void delete() {
        try {
            zip.close();
            try (Stream<Path> files = Files.walk(tempDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        } catch (IOException | RuntimeException e) {
            // best effort at exit
        }
    }
}
