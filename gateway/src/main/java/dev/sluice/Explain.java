package dev.sluice;

import dev.sluice.config.Action;
import dev.sluice.config.AuthConfig;
import dev.sluice.config.AuthScheme;
import dev.sluice.config.DnsConfig;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.ListenerConfig;
import dev.sluice.config.NameSpec;
import dev.sluice.dns.SyntheticTable;
import dev.sluice.dns.TableFile;
import dev.sluice.net.HostName;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.policy.Decision;
import dev.sluice.policy.Flow;
import dev.sluice.policy.NamePattern;
import dev.sluice.session.CompiledConfig;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.ProxyCredentials;
import dev.sluice.upstream.Upstream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice explain}: what the gateway would do with one connection, in words. */
@Command(name = "explain", mixinStandardHelpOptions = true, versionProvider = Sluice.VersionProvider.class, description = "Show which rule a connection would match and where it would go.")
final class Explain implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigArgument config;

    @Option(names = "--sni", paramLabel = "NAME", description = "server name in the ClientHello (leave out for none)")
    String sni;

    @Option(names = "--client", paramLabel = "IP", description = "client address (default: the first address of "
            + "the first range in clients, a client the gateway serves)")
    String client;

    @Option(names = "--dst", paramLabel = "IP:PORT", description = "original destination IP:PORT (transparent listeners)")
    String dst;

    @Option(names = "--listener", paramLabel = "NAME", description = "listener name (default: the first)")
    String listener;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        CompiledConfig compiled = Sluice.load(config, err);
        if (compiled == null) {
            return Sluice.INVALID;
        }
        GatewayConfig cfg = compiled.config();
        if (client == null) {
            client = IpLiteral.format(cfg.clients().get(0).first());
        }
        InetAddress clientAddress = IpLiteral.parse(client);
        if (clientAddress == null) {
            err.println("--client: not an IP address: " + client);
            err.flush();
            return Sluice.FAILED;
        }
        InetSocketAddress dstAddress = null;
        if (dst != null) {
            try {
                HostPort hp = HostPort.parse(dst);
                InetAddress ip = IpLiteral.parse(hp.host());
                if (ip == null) {
                    throw new IllegalArgumentException("not an IP address: " + hp.host());
                }
                dstAddress = new InetSocketAddress(ip, hp.port());
            } catch (IllegalArgumentException e) {
                err.println("--dst: " + e.getMessage());
                err.flush();
                return Sluice.FAILED;
            }
        }
        ListenerConfig lc = cfg.listeners().stream()
                .filter(l -> listener == null || l.name().equals(listener)).findFirst().orElse(null);
        if (lc == null) {
            err.println("--listener: no listener named " + listener);
            err.flush();
            return Sluice.FAILED;
        }
        spec.commandLine().getOut().print(explain(compiled, sni, clientAddress, dstAddress, lc));
        spec.commandLine().getOut().flush();
        return Sluice.OK;
    }

    static String explain(CompiledConfig compiled, String sni, InetAddress client, InetSocketAddress dst,
                          ListenerConfig listener) {
        int port = dst != null ? dst.getPort() : listener.defaultPort();
        StringBuilder sb = new StringBuilder();
        StringBuilder synthetic = new StringBuilder();
        String dnsName = dst == null ? null : dnsName(compiled.config().dns(), dst, synthetic);
        if (dnsName == null && synthetic.length() > 0) {
            return header(sb, sni, client, listener, dst, port).append(synthetic).toString();
        }
        header(sb, sni, client, listener, dst, port).append(synthetic);
        if (dnsName != null) {
            DnsConfig dns = compiled.config().dns();
            if (!dns.tlsPorts().contains(port)) {
                sb.append("  port ").append(port).append(" is not in dns.tls_ports: no ClientHello is awaited, the "
                        + "tunnel is set up at once for ").append(dnsName).append(" (name_from dns)\n");
                sni = dnsName;
            } else if (sni == null) {
                sb.append("  a ClientHello without a server name is routed by ").append(dnsName)
                        .append(" (name_from dns)\n");
                sni = dnsName;
            } else if (!HostName.normalize(sni).equals(dnsName)) {
                sb.append("  the SNI differs from ").append(dnsName).append(": routed by the SNI (noted in the "
                        + "access log)\n");
            }
        }
        return decide(compiled, sni, client, dst, listener, port, sb);
    }

    private static StringBuilder header(StringBuilder sb, String sni, InetAddress client, ListenerConfig listener,
                                        InetSocketAddress dst, int port) {
        return sb.append(sni == null ? "(no sni)" : sni).append(" client ").append(IpLiteral.format(client))
                .append(" listener ").append(listener.name())
                .append(" dst ").append(dst == null ? "unknown" : HostPort.of(new InetSocketAddress(dst.getAddress(), port)).toString())
                .append(" port ").append(port).append('\n');
    }

    /**
     * The name the DNS responder's table (as saved in {@code dns.state_dir}) holds for a synthetic {@code dst}, with
     * a line about it in {@code out}; null (and nothing said) when {@code dst} is no synthetic address, null with
     * the outcome said when the table holds no name for it.
     */
    private static String dnsName(DnsConfig dns, InetSocketAddress dst, StringBuilder out) {
        if (dns == null) {
            return null;
        }
        SyntheticTable table = new SyntheticTable(dns.ipv4(), dns.ipv6(), dns.maxNames(), System::currentTimeMillis);
        if (!table.isSynthetic(dst.getAddress())) {
            return null;
        }
        TableFile file = new TableFile(dns.stateDir());
        try {
            table.restore(file.read(table.ranges()));
        } catch (IOException e) {
            out.append("  cannot read the DNS table: ").append(e.getMessage()).append('\n');
        }
        String name = table.nameOf(dst.getAddress());
        String at = IpLiteral.format(dst.getAddress());
        if (name == null) {
            out.append("  ").append(at).append(" is a synthetic address the DNS table (in dns.state_dir) holds no "
                    + "name for: connection reset (outcome rejected)\n");
            return null;
        }
        out.append("  ").append(at).append(" is a synthetic address: the DNS table (in dns.state_dir, as last "
                + "saved) holds ").append(name).append(" for it\n");
        return name;
    }

    private static String decide(CompiledConfig compiled, String sni, InetAddress client, InetSocketAddress dst,
                                 ListenerConfig listener, int port, StringBuilder sb) {
        if (!compiled.policy().allowsClient(client)) {
            sb.append("  client ").append(IpLiteral.format(client))
                    .append(" is not in clients: connection reset at once (outcome denied_client)\n");
            return sb.toString();
        }
        Flow flow = new Flow(client, dst, port, sni, List.of(), listener.name());
        Decision d = compiled.policy().decide(flow);
        if (d.rule() == null) {
            sb.append("  no rule matches: reject (outcome rejected)\n");
            return sb.toString();
        }
        sb.append("  rule ").append(d.ruleName()).append(" (#").append(d.rule().index() + 1).append(", ")
                .append(d.rule().position()).append(')');
        if (sni != null && d.rule().hasSni()) {
            NamePattern p = d.rule().patternFor(HostName.normalize(sni));
            sb.append(" matches sni ").append(p);
        } else {
            sb.append(d.rule().hasSni() ? "" : " (no sni condition)");
        }
        sb.append('\n');
        if (d.action() == Action.REJECT) {
            sb.append("  reject: refused with a TLS access_denied alert (outcome rejected)\n");
        } else if (d.host() == null) {
            sb.append("  ").append(d.action().label())
                    .append(": no server name and no original destination: refused with a TLS unrecognized_name alert "
                    + "(outcome rejected)\n");
        } else if (d.action() == Action.DIRECT) {
            sb.append("  direct: the gateway connects to ").append(d.target()).append(" itself\n");
        } else {
            Upstream up = compiled.upstreams().get(d.upstream());
            List<Proxy> candidates = up.candidates().order();
            ProxyCredentials credentials = up.credentialsFor(client);
            sb.append("  splice via upstream ").append(up.name()).append(": CONNECT ").append(d.target())
                    .append(" via ").append(candidates.stream().map(Proxy::toString)
                            .collect(Collectors.joining(", then ")))
                    .append('\n');
            for (Proxy proxy : candidates) {
                sb.append("  auth to ").append(proxy).append(": ")
                        .append(credentials == null ? "none configured (a 407 fails as proxy_auth_failed)"
                                : offered(credentials.config(), proxy)).append('\n');
            }
            var p = up.policy();
            sb.append("  strategy ").append(p.strategy().label())
                    .append(", up to ").append(candidates.size()).append(" attempts within ")
                    .append(dev.sluice.config.Durations.format(p.deadline())).append(", health: ")
                    .append(p.healthTarget() == null ? "from traffic only"
                            : "CONNECT " + p.healthTarget() + " every " + dev.sluice.config.Durations.format(
                                    p.healthInterval()))
                    .append(" (out after ").append(p.fall()).append(" failures, back after ").append(p.rise())
                    .append(" successes)\n");
        }
        return sb.toString();
    }

    /** The schemes a proxy would be offered, in order, and who the gateway is for each. */
    private static String offered(AuthConfig auth, Proxy proxy) {
        StringBuilder sb = new StringBuilder();
        for (AuthScheme s : auth.schemes()) {
            sb.append(sb.length() == 0 ? "" : ", then ").append(s.label()).append(" as ").append(auth.who(s));
            if (s == AuthScheme.NEGOTIATE) {
                sb.append(" (SPN ").append(auth.negotiate().spnFor(proxy.url().host())).append(", ")
                        .append(auth.negotiate().mechanism().name().toLowerCase(java.util.Locale.ROOT)).append(')');
            }
        }
        if (auth.basicOnly()) {
            sb.append(" (sent with the first CONNECT)");
        } else {
            sb.append(" (as the proxy asks; what worked is sent at once to later tunnels)");
        }
        return sb.toString();
    }
}
