package dev.sluice.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The files a configuration names (password files, keytabs, krb5.conf, certificates, the access log): resolved
 * against the configuration's own directory, read with bounds, regular files only (a FIFO would block check and
 * reload), and a warning when a secret can be read by others than its owner. Every problem is a positioned error.
 */
final class ConfigFiles {
    /** A password file holds one password: anything bigger is the wrong file. */
    private static final int MAX_SECRET = 4096;

    private final YamlReader yaml;
    private final Path baseDir;

    ConfigFiles(YamlReader yaml, Path baseDir) {
        this.yaml = yaml;
        this.baseDir = baseDir;
    }

    /** The path a scalar names (already checked by {@link #readable} or {@link #secret}). */
    Path path(Node node) {
        String name = node instanceof ScalarNode s ? s.getValue() : "";
        return baseDir == null ? Path.of(name) : baseDir.resolve(name);
    }

    /** {@code name} relative to the configuration's directory; null, with an error, when it cannot be a path. */
    Path resolve(Node node, String what, String name) {
        try {
            return baseDir == null ? Path.of(name) : baseDir.resolve(name);
        } catch (InvalidPathException e) { // a NUL character ("\0" in YAML), for one
            yaml.error(node, what + ": not a file name: " + e.getReason());
            return null;
        }
    }

    /** The readable regular file {@code node} names, or null with an error. */
    Path readable(Node node, String what) {
        String name = yaml.scalar(node, what);
        if (name == null) {
            return null;
        }
        Path path = resolve(node, what, name);
        if (path == null) {
            return null;
        }
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            yaml.error(node, what + ": cannot read " + path + (Files.exists(path) ? "" : ": no such file"));
            return null;
        }
        if (!Files.isRegularFile(path)) {
            yaml.error(node, what + ": " + path + " is not a regular file");
            return null;
        }
        return path;
    }

    /** A readable PEM file of X.509 certificates, checked now so that {@code check} catches a wrong file. */
    Path certificates(Node node, String what) {
        Path path = readable(node, what);
        if (path == null) {
            return null;
        }
        try (var in = Files.newInputStream(path)) {
            if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                yaml.error(node, what + ": no certificate in " + path);
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            yaml.error(node, what + ": " + path + " is not a PEM certificate file: " + e.getMessage());
        }
        return path;
    }

    /** The one-line secret in the file {@code node} names; null (with an error) when it cannot be one. */
    Secret secret(Node node, String what) {
        String name = yaml.scalar(node, what);
        Path path = name == null ? null : resolve(node, what, name);
        if (path == null) {
            return null;
        }
        StringBuilder problem = new StringBuilder();
        String password = readSecret(path, problem);
        if (password == null) {
            yaml.error(node, what + ": " + problem);
            return null;
        }
        warnIfShared(node, what, path);
        return new Secret(password);
    }

    /** A warning when others than the owner may read the file. */
    void warnIfShared(Node node, String what, Path file) {
        String shared = shared(file);
        if (shared != null) {
            yaml.warning(node, what + ": " + file + " is " + shared + "; make it readable by the gateway's "
                    + "user only (chmod 600), or by it and its group (chmod 640, the file's group the gateway's)");
        }
    }

    /** The password in {@code path}: its one line without the line end; an error text in {@code problem} instead. */
    private static String readSecret(Path path, StringBuilder problem) {
        if (!Files.isRegularFile(path) && Files.exists(path)) {
            problem.append(path).append(" is not a regular file");
            return null;
        }
        try (var in = Files.newInputStream(path)) {
            byte[] bytes = in.readNBytes(MAX_SECRET + 1);
            if (bytes.length > MAX_SECRET) {
                problem.append(path).append(" is over ").append(MAX_SECRET).append(" bytes: not a password file");
                return null;
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            String password = text.replaceAll("[\r\n]+$", "");
            if (password.isEmpty()) {
                problem.append(path).append(" is empty");
                return null;
            }
            if (password.indexOf('\n') >= 0 || password.indexOf('\r') >= 0) {
                problem.append(path).append(" must hold the password on a single line");
                return null;
            }
            return password;
        } catch (IOException e) {
            problem.append("cannot read ").append(path).append(": ").append(ConfigLoader.describe(e));
            return null;
        }
    }

    /**
     * "group- and world-readable (rw-r--r--)" when others may read {@code path}: anyone (world), or a group that is
     * not the gateway's own (the group of this process; as root, which may be checking a file for the service, a
     * group-readable file is taken as meant for the service's group). Null when only the owner, or the owner and
     * the gateway's group, may read it.
     */
    private static String shared(Path path) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
            boolean world = p.contains(PosixFilePermission.OTHERS_READ);
            boolean group = p.contains(PosixFilePermission.GROUP_READ) && !ourGroup(path);
            if (!group && !world) {
                return null;
            }
            return (group && world ? "group- and world-readable" : group ? "readable by its group" : "world-readable")
                    + " (" + PosixFilePermissions.toString(p) + ")";
        } catch (IOException | UnsupportedOperationException e) {
            return null; // not a POSIX file system (a zip file system in the fuzz tests): nothing to say
        }
    }

    /** The file's group is this process's (as /proc/self shows it), or this process is root. */
    private static boolean ourGroup(Path path) {
        try {
            Path self = Path.of("/proc/self");
            return (Integer) Files.getAttribute(self, "unix:uid") == 0
                    || Files.getAttribute(path, "unix:gid").equals(Files.getAttribute(self, "unix:gid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // cannot tell: a group-readable file is worth the warning
        }
    }
}
