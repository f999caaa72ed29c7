package dev.sluice.config;

import dev.sluice.net.Cidr;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads {@code gateway.yaml} into a {@link GatewayConfig}. It reports every error it finds, each with its
 * {@code file:line:col}, instead of stopping at the first; nothing is looked up in DNS. Two passes: the text is
 * parsed by one reader per section, touching no file ({@link ConfigFiles} notes the files it names); then
 * {@link FileChecks} looks at those files on disk.
 */
public final class ConfigLoader {
    private final String file;
    private final YamlReader yaml;
    private final ConfigFiles files;

    private ConfigLoader(String file, Path baseDir) {
        this.file = file;
        this.yaml = new YamlReader(file);
        this.files = new ConfigFiles(yaml, baseDir);
    }

    /** Loads a configuration file; relative paths inside it (password_file, access_log) are relative to it. */
    public static GatewayConfig load(Path path) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigError(new Position(path.toString(), 1, 1),
                    "cannot read configuration: " + describe(e))));
        }
        Path dir = path.toAbsolutePath().getParent();
        return parse(path.toString(), text, dir);
    }

    /**
     * Parses configuration text, then checks the files it names (relative to {@code baseDir}); {@code file} is the
     * name used in error positions.
     */
    public static GatewayConfig parse(String file, String text, Path baseDir) throws ConfigException {
        return new ConfigLoader(file, baseDir).read(text);
    }

    /** The top level: each section's key, its reader and the record it gives. */
    private GatewayConfig read(String text) throws ConfigException {
        Node root = compose(text);
        if (root == null) {
            throw new ConfigException(yaml.errors());
        }
        Section top = yaml.section(root, "configuration");
        List<ListenerConfig> listeners = new ListenersReader(yaml).read(top.require("listeners", "configuration"));
        Node clientsNode = top.require("clients", "configuration");
        List<Cidr> clients = clientsNode == null ? List.of() : yaml.values(clientsNode, "clients", Cidr::parse);
        YamlReader.Mark afterClients = yaml.mark();
        Map<String, UpstreamConfig> upstreams = new UpstreamsReader(yaml, files).read(top.get("upstreams"));
        List<RuleConfig> rules = new RulesReader(yaml).read(top.get("rules"), upstreams.keySet());
        Timeouts timeouts = timeouts(top.get("timeouts"));
        String accessLog = accessLog(top.get("access_log"));
        Operations operations = new OperationsReader(yaml).read(top, listeners);
        DnsConfig dns = new DnsReader(yaml, files).read(top.get("dns"), listeners, operations.admin());
        yaml.finish();
        if (clientsNode != null && clients.isEmpty() && yaml.noErrorsBefore(afterClients)) {
            yaml.error(clientsNode, "clients: no client range: nobody could use the gateway");
        }
        FileChecks checks = FileChecks.run(files.named()); // the text is read: now the files it names
        List<ConfigError> errors = new ArrayList<>(yaml.errors());
        errors.addAll(checks.errors());
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new GatewayConfig(file, List.copyOf(listeners), List.copyOf(clients), Map.copyOf(upstreams),
                List.copyOf(rules), timeouts, accessLog, operations, dns, checks.warnings());
    }

    private Node compose(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true); // reported by YamlReader with both lines
        options.setMaxAliasesForCollections(20);
        options.setNestingDepthLimit(20);
        options.setCodePointLimit(4 * 1024 * 1024);
        try {
            Node root = new Yaml(options).compose(new StringReader(text));
            if (root == null) {
                yaml.error(new Position(file, 1, 1), "the configuration is empty");
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            Position p = m == null ? new Position(file, 1, 1) : new Position(file, m.getLine() + 1, m.getColumn() + 1);
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            String context = e.getContext() != null ? " (" + e.getContext() + ")" : "";
            yaml.error(p, "YAML syntax: " + problem + context);
            return null;
        } catch (YAMLException e) {
            yaml.error(new Position(file, 1, 1), "YAML: " + e.getMessage());
            return null;
        } catch (RuntimeException e) { // SnakeYAML 2.5 throws IllegalArgumentException for a tag such as !%1E
            yaml.error(new Position(file, 1, 1), "YAML: " + (e.getMessage() != null ? e.getMessage()
                    : e.getClass().getSimpleName()));
            return null;
        }
    }

    private Timeouts timeouts(Node node) {
        if (node == null) {
            return Timeouts.DEFAULTS;
        }
        Section f = yaml.section(node, "timeouts");
        Timeouts d = Timeouts.DEFAULTS;
        return new Timeouts(duration(f, "client_hello", d.clientHello()), duration(f, "connect", d.connect()),
                duration(f, "idle", d.idle()));
    }

    private Duration duration(Section f, String key, Duration fallback) {
        return yaml.duration(f, "timeouts", key, fallback);
    }

    private String accessLog(Node node) {
        if (node == null) {
            return "stdout";
        }
        String s = yaml.scalar(node, "access_log");
        if (s == null) {
            return "stdout";
        }
        if (s.equals("stdout") || s.equals("stderr")) {
            return s;
        }
        if (s.equals("off") || s.equals("false")) {
            return "off";
        }
        if (s.isBlank()) {
            yaml.error(node, "access_log: empty; use stdout, stderr, off or a file path");
            return "stdout";
        }
        Path path = files.resolve(node, "access_log", s);
        if (path == null) {
            return "stdout";
        }
        files.accessLog(node, path);
        return path.toString();
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.charset.CharacterCodingException) { // its own message is "Input length = 1"
            return "not UTF-8 text";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
