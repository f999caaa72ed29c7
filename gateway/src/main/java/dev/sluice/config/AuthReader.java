package dev.sluice.config;

import dev.sluice.net.IpLiteral;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads an {@code auth} mapping (or a {@code credentials_by_client} entry): the original Basic shape
 * {@code { username, password_file }}, or {@code basic:}, {@code ntlm:} and {@code negotiate:} blocks with an
 * optional {@code schemes:} order. Secrets come only from files, and keytabs must hold a key for the principal:
 * {@link FileChecks} reads and checks those files after parsing.
 */
final class AuthReader {
    private static final Pattern PRINCIPAL = Pattern.compile("[^@\\s/]+(/[^@\\s/]+)*@[^@\\s]+");
    private static final Pattern SPN = Pattern.compile("[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+|/[A-Za-z0-9_.-]+(@[^@\\s]+)?)");
    private static final Pattern WORKSTATION = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    private final YamlReader yaml;
    private final ConfigFiles files;

    AuthReader(YamlReader yaml, ConfigFiles files) {
        this.yaml = yaml;
        this.files = files;
    }

    /** The auth of {@code f} (an auth mapping's or a credentials_by_client entry's fields), or null. */
    AuthConfig read(Section f, String what, List<ProxyUrl> proxies) {
        boolean legacy = f.has("username") | f.has("password_file") | f.has("password");
        boolean blocks = f.has("basic") | f.has("ntlm") | f.has("negotiate");
        Node schemes = f.get("schemes"); // asked before any return: every key is known on every path
        if (legacy && blocks) {
            yaml.error(f.node(), what + ": either username/password_file (Basic) or basic:/ntlm:/negotiate: "
                    + "blocks, not both");
            return null;
        }
        if (!blocks) {
            if (schemes != null) {
                yaml.error(f.key("schemes"), what + ": schemes: orders basic:, ntlm: and negotiate: blocks; "
                        + "there are none");
            }
            BasicAuth basic = basic(f, what);
            return basic == null ? null : AuthConfig.basic(basic);
        }
        Map<AuthScheme, Node> configured = new EnumMap<>(AuthScheme.class);
        BasicAuth basic = null;
        NtlmAuth ntlm = null;
        NegotiateAuth negotiate = null;
        if (f.has("negotiate")) {
            configured.put(AuthScheme.NEGOTIATE, f.key("negotiate"));
            negotiate = negotiate(yaml.section(f.get("negotiate"), what + " negotiate"),
                    what + " negotiate", proxies);
        }
        if (f.has("ntlm")) {
            configured.put(AuthScheme.NTLM, f.key("ntlm"));
            ntlm = ntlm(yaml.section(f.get("ntlm"), what + " ntlm"), what + " ntlm");
        }
        if (f.has("basic")) {
            configured.put(AuthScheme.BASIC, f.key("basic"));
            basic = basic(yaml.section(f.get("basic"), what + " basic"), what + " basic");
        }
        List<AuthScheme> order = schemes != null ? schemes(schemes, what, configured)
                : List.copyOf(configured.keySet()); // EnumMap: negotiate, ntlm, basic
        if ((f.has("negotiate") && negotiate == null) || (f.has("ntlm") && ntlm == null)
                || (f.has("basic") && basic == null) || order.isEmpty()) {
            return null; // errors already reported
        }
        return new AuthConfig(basic, ntlm, negotiate, order);
    }

    private List<AuthScheme> schemes(Node node, String what, Map<AuthScheme, Node> configured) {
        List<AuthScheme> order = new ArrayList<>();
        if (node instanceof org.yaml.snakeyaml.nodes.SequenceNode seq && seq.getValue().isEmpty()) {
            yaml.error(node, what + " schemes: empty; list the schemes to use, or leave the key out for all of "
                    + "them (negotiate, ntlm, basic)");
            return List.of();
        }
        for (Node item : yaml.list(node, what + " schemes")) {
            AuthScheme s = yaml.value(item, what + " schemes", AuthScheme::parse);
            if (s == null) {
                continue;
            }
            if (order.contains(s)) {
                yaml.error(item, what + " schemes: " + s.label() + " is listed twice");
            } else if (!configured.containsKey(s)) {
                yaml.error(item, what + " schemes: " + s.label() + " is listed but has no " + s.label() + ": block");
            } else {
                order.add(s);
            }
        }
        for (Map.Entry<AuthScheme, Node> e : configured.entrySet()) {
            if (!order.contains(e.getKey()) && !order.isEmpty()) {
                yaml.error(e.getValue(), what + ": " + e.getKey().label() + " is configured but not in schemes: "
                        + "add it to the list or remove its block");
            }
        }
        return List.copyOf(order);
    }

    private BasicAuth basic(Section f, String what) {
        noInlinePassword(f, what);
        Node userNode = f.require("username", what);
        Node fileNode = f.require("password_file", what);
        String username = userNode == null ? null : yaml.scalar(userNode, what + " username");
        if (username != null && (username.indexOf(':') >= 0 || username.isBlank())) {
            yaml.error(userNode, what + " username: must be non-empty and must not contain ':' (Basic authentication)");
            username = null;
        }
        Secret password = fileNode == null ? null : files.password(fileNode, what + " password_file");
        if (username == null || password == null) {
            return null;
        }
        return new BasicAuth(username, files.path(fileNode), password);
    }

    private NtlmAuth ntlm(Section f, String what) {
        noInlinePassword(f, what);
        Node userNode = f.require("username", what);
        Node fileNode = f.require("password_file", what);
        String username = userNode == null ? null : yaml.scalar(userNode, what + " username");
        if (username != null && username.length() > 256) {
            yaml.error(userNode, what + " username: longer than 256 characters");
            username = null;
        } else if (username != null && (username.isBlank() || username.indexOf('\\') >= 0
                || username.indexOf('@') >= 0)) {
            yaml.error(userNode, what + " username: the account name alone (e.g. svc-sluice); put the domain in "
                    + "domain:");
            username = null;
        }
        String domain = f.has("domain") ? yaml.scalar(f.get("domain"), what + " domain") : "";
        if (domain != null && (domain.indexOf('\\') >= 0 || domain.length() > 256
                || domain.isBlank() && f.has("domain"))) {
            yaml.error(f.get("domain"), what + " domain: the NetBIOS or DNS domain name alone (e.g. CORP)");
            domain = null;
        }
        String workstation = null;
        if (f.has("workstation")) {
            workstation = yaml.scalar(f.get("workstation"), what + " workstation");
            if (workstation != null && !WORKSTATION.matcher(workstation).matches()) {
                yaml.error(f.get("workstation"), what + " workstation: 1-15 letters, digits, '.', '_' or '-'");
                workstation = null;
            }
        }
        Secret password = fileNode == null ? null : files.password(fileNode, what + " password_file");
        if (username == null || domain == null || password == null) {
            return null;
        }
        return new NtlmAuth(username, domain, files.path(fileNode), password, workstation);
    }

    private NegotiateAuth negotiate(Section f, String what, List<ProxyUrl> proxies) {
        Node principalNode = f.require("principal", what);
        Node keytabNode = f.require("keytab", what);
        String principal = principalNode == null ? null : yaml.scalar(principalNode, what + " principal");
        if (principal != null && !PRINCIPAL.matcher(principal).matches()) {
            yaml.error(principalNode, what + " principal: expected name@REALM (e.g. sluice-gw@CORP.EXAMPLE), got '"
                    + principal + "'");
            principal = null;
        }
        Path keytab = keytabNode == null ? null : files.keytab(keytabNode, what + " keytab", principal);
        Path krb5 = f.has("krb5_conf") ? files.krb5Conf(f.get("krb5_conf"), what + " krb5_conf") : null;
        String spn = null;
        if (f.has("spn")) {
            spn = yaml.scalar(f.get("spn"), what + " spn");
            if (spn != null && !SPN.matcher(spn).matches()) {
                yaml.error(f.get("spn"), what + " spn: expected HTTP@proxy.host or HTTP/proxy.host[@REALM], got '"
                        + spn + "'");
                spn = null;
            }
        } else {
            for (ProxyUrl p : proxies) {
                if (IpLiteral.is(p.host())) {
                    yaml.error(f.node(), what + ": proxy " + p + " is named by address; Kerberos needs the proxy's "
                            + "host name for its service principal: name it by host name, or set spn:");
                }
            }
        }
        NegotiateAuth.Mechanism mechanism = NegotiateAuth.Mechanism.SPNEGO;
        if (f.has("mechanism")) {
            mechanism = yaml.value(f.get("mechanism"), what + " mechanism", AuthReader::mechanism);
        }
        if (principal == null || keytab == null || mechanism == null || (f.has("krb5_conf") && krb5 == null)) {
            return null;
        }
        return new NegotiateAuth(principal, keytab, krb5, spn, mechanism);
    }

    private static NegotiateAuth.Mechanism mechanism(String s) {
        return switch (s) {
            case "spnego" -> NegotiateAuth.Mechanism.SPNEGO;
            case "kerberos" -> NegotiateAuth.Mechanism.KERBEROS;
            default -> throw new IllegalArgumentException("expected spnego or kerberos, got '" + s + "'");
        };
    }

    private void noInlinePassword(Section f, String what) {
        if (f.has("password")) {
            yaml.error(f.key("password"), what + ": inline passwords are not accepted; "
                    + "put the password in a file readable only by the gateway and name it in password_file");
        }
    }
}
