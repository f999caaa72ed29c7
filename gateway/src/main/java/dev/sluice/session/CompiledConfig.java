package dev.sluice.session;

import dev.sluice.config.ConfigError;
import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.UpstreamConfig;
import dev.sluice.policy.Policy;
import dev.sluice.upstream.KerberosClients;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.Upstream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A configuration compiled for use: the policy and the upstreams (with their TLS contexts). A reload builds a new
 * one and swaps it in; connections keep the one they started with.
 */
public record CompiledConfig(GatewayConfig config, Policy policy, Map<String, Upstream> upstreams) {

    /** Reads and compiles a configuration file: every error, the TLS material's too, as FILE:LINE:COL. */
    public static CompiledConfig load(Path file) throws ConfigException {
        return load(file, new KerberosClients());
    }

    /** As {@link #load(Path)}, with the running gateway's Kerberos clients (a reload keeps their tickets). */
    public static CompiledConfig load(Path file, KerberosClients kerberos) throws ConfigException {
        return compile(ConfigLoader.load(file), kerberos);
    }

    public static CompiledConfig compile(GatewayConfig config) throws ConfigException {
        return compile(config, new KerberosClients());
    }

    public static CompiledConfig compile(GatewayConfig config, KerberosClients kerberos) throws ConfigException {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        List<ConfigError> errors = new ArrayList<>();
        for (UpstreamConfig uc : config.upstreams().values()) {
            try {
                upstreams.put(uc.name(), Upstream.of(uc, kerberos));
            } catch (IllegalArgumentException e) {
                errors.add(new ConfigError(uc.position(), e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new CompiledConfig(config, Policy.compile(config), Map.copyOf(upstreams));
    }

    /** For configurations already compiled once (tests, tools): a failure here is a bug, not bad input. */
    public static CompiledConfig of(GatewayConfig config) {
        return of(config, new KerberosClients());
    }

    public static CompiledConfig of(GatewayConfig config, KerberosClients kerberos) {
        try {
            return compile(config, kerberos);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Proxies kept from {@code before} (same upstream, same URL) keep their health and latency. */
    public void inheritHealth(CompiledConfig before) {
        for (Upstream u : upstreams.values()) {
            Upstream old = before.upstreams().get(u.name());
            if (old == null) {
                continue;
            }
            for (Proxy p : u.proxies()) {
                old.proxies().stream().filter(o -> o.url().equals(p.url())).findFirst().ifPresent(p::inherit);
            }
        }
    }

    /** The krb5.conf the configuration names (every negotiate block names the same one, or none), or null. */
    public Path krb5Conf() {
        for (UpstreamConfig uc : config.upstreams().values()) {
            for (var a : uc.allAuth()) {
                if (a.negotiate() != null && a.negotiate().krb5Conf() != null) {
                    return a.negotiate().krb5Conf();
                }
            }
        }
        return null;
    }
}
