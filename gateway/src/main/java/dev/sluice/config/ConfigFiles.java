package dev.sluice.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The files a configuration names (password files, keytabs, krb5.conf, certificates, the access log), while it is
 * parsed: each is resolved against the configuration's own directory and noted as a {@link NamedFile}, and nothing
 * is read from disk. {@link FileChecks} looks at them once the whole text is read.
 */
final class ConfigFiles {
    private final YamlReader yaml;
    private final Path baseDir;
    private final List<NamedFile> named = new ArrayList<>();

    ConfigFiles(YamlReader yaml, Path baseDir) {
        this.yaml = yaml;
        this.baseDir = baseDir;
    }

    /** The files noted so far, in the order the configuration names them. */
    List<NamedFile> named() {
        return List.copyOf(named);
    }

    /** The path a scalar names (already resolved by one of the methods below). */
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

    /** A file that must be readable (a TLS client key). */
    Path readable(Node node, String what) {
        return note(NamedFile.Kind.READABLE, node, what, null, null);
    }

    /** A PEM file of X.509 certificates. */
    Path certificates(Node node, String what) {
        return note(NamedFile.Kind.CERTIFICATES, node, what, null, null);
    }

    /** The password in the file {@code node} names, read by {@link FileChecks}; null when it names no file. */
    Secret password(Node node, String what) {
        Secret secret = new Secret();
        return note(NamedFile.Kind.PASSWORD, node, what, null, secret) == null ? null : secret;
    }

    /** A keytab that must hold keys for {@code principal} (null: the principal is wrong, already reported). */
    Path keytab(Node node, String what, String principal) {
        return note(NamedFile.Kind.KEYTAB, node, what, principal, null);
    }

    /** A krb5.conf, one for the whole gateway. */
    Path krb5Conf(Node node, String what) {
        return note(NamedFile.Kind.KRB5_CONF, node, what, null, null);
    }

    /** The access log file {@code path}, which {@code node} named. */
    void accessLog(Node node, Path path) {
        named.add(new NamedFile(NamedFile.Kind.ACCESS_LOG, yaml.position(node), "access_log", path, null, null));
    }

    private Path note(NamedFile.Kind kind, Node node, String what, String principal, Secret secret) {
        String name = yaml.scalar(node, what);
        Path path = name == null ? null : resolve(node, what, name);
        if (path != null) {
            named.add(new NamedFile(kind, yaml.position(node), what, path, principal, secret));
        }
        return path;
    }
}
