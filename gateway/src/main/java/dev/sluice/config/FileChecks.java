package dev.sluice.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The pass after parsing that looks at the files a configuration names ({@link NamedFile}s, in the order it names
 * them): regular files only (a FIFO would block check and reload), read with bounds, certificates parsed, keytabs
 * checked offline, password files read into their {@link Secret}s, and a warning when a secret can be read by
 * others than its owner. Every problem is an error at the value that named the file.
 */
final class FileChecks {
    /** A password file holds one password: anything bigger is the wrong file (or /dev/zero). */
    private static final int MAX_SECRET = 4096;

    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigError> warnings = new ArrayList<>();
    /** The krb5.conf named last (the JVM reads one): another one is an error. */
    private NamedFile krb5Conf;

    private FileChecks() {
    }

    /** Checks {@code files} in order; its errors and warnings are then in {@link #errors} and {@link #warnings}. */
    static FileChecks run(List<NamedFile> files) {
        FileChecks checks = new FileChecks();
        files.forEach(checks::check);
        return checks;
    }

    List<ConfigError> errors() {
        return List.copyOf(errors);
    }

    List<ConfigError> warnings() {
        return List.copyOf(warnings);
    }

    private void check(NamedFile f) {
        switch (f.kind()) {
            case READABLE -> readable(f);
            case CERTIFICATES -> {
                if (readable(f)) {
                    certificates(f);
                }
            }
            case PASSWORD -> password(f);
            case KEYTAB -> {
                if (readable(f) && f.principal() != null) {
                    keytab(f);
                }
            }
            case KRB5_CONF -> {
                if (readable(f)) {
                    krb5Conf(f);
                }
            }
            case ACCESS_LOG -> accessLog(f);
        }
    }

    /** A readable regular file; false, with an error, when it is not. */
    private boolean readable(NamedFile f) {
        Path path = f.path();
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            error(f, "cannot read " + path + (Files.exists(path) ? "" : ": no such file"));
            return false;
        }
        if (!Files.isRegularFile(path)) {
            error(f, path + " is not a regular file");
            return false;
        }
        return true;
    }

    /** A PEM file of X.509 certificates, checked now so that {@code check} catches a wrong file. */
    private void certificates(NamedFile f) {
        try (var in = Files.newInputStream(f.path())) {
            if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                error(f, "no certificate in " + f.path());
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            error(f, f.path() + " is not a PEM certificate file: " + e.getMessage());
        }
    }

    private void password(NamedFile f) {
        StringBuilder problem = new StringBuilder();
        String password = readSecret(f.path(), problem);
        if (password == null) {
            error(f, problem.toString());
            return;
        }
        warnIfShared(f);
        f.secret().load(password);
    }

    /** The keytab holds keys for the principal (checked offline: no KDC, no network). */
    private void keytab(NamedFile f) {
        String problem = Keytabs.problem(f.path(), f.principal());
        if (problem != null) {
            error(f, f.path() + ": " + problem);
        } else {
            warnIfShared(f);
        }
    }

    private void krb5Conf(NamedFile f) {
        if (krb5Conf != null && !f.path().equals(krb5Conf.path())) {
            error(f, f.path() + " differs from " + krb5Conf.path() + " (line " + krb5Conf.at().line()
                    + "); krb5.conf is one file for the whole gateway (the JVM reads one)");
        } else {
            krb5Conf = f;
        }
    }

    /** The log file is not a directory, and its directory exists. */
    private void accessLog(NamedFile f) {
        Path dir = f.path().toAbsolutePath().getParent();
        if (Files.isDirectory(f.path())) {
            error(f, f.path() + " is a directory; name a file in it");
        } else if (dir != null && !Files.isDirectory(dir)) {
            error(f, "directory " + dir + " does not exist");
        }
    }

    private void error(NamedFile f, String problem) {
        errors.add(new ConfigError(f.at(), f.what() + ": " + problem));
    }

    /** A warning (the configuration is still used) when others than the owner may read the file. */
    private void warnIfShared(NamedFile f) {
        String shared = shared(f.path());
        if (shared != null) {
            warnings.add(new ConfigError(f.at(), "warning: " + f.what() + ": " + f.path() + " is " + shared
                    + "; make it readable by the gateway's user only (chmod 600), or by it and its group "
                    + "(chmod 640, the file's group the gateway's)"));
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
