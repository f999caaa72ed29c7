package dev.sluice;

import dev.sluice.config.ConfigError;
import dev.sluice.config.ConfigException;
import dev.sluice.config.GatewayConfig;
import dev.sluice.observe.systemd.Systemd;
import dev.sluice.session.CompiledConfig;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the configuration file (on SIGHUP): a valid one is swapped in for new connections while open tunnels
 * keep theirs; an invalid one is refused with every error logged, and the running one stays.
 */
final class Reloader {
    private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

    private final Path file;
    private final Gateway gateway;
    private final Systemd systemd;

    Reloader(Path file, Gateway gateway, Systemd systemd) {
        this.file = file;
        this.gateway = gateway;
        this.systemd = systemd;
    }

    /** The listeners as bound (their positions in the file do not matter). */
    private static List<String> listeners(GatewayConfig c) {
        return c.listeners().stream().map(l -> l.name() + " " + l.listen() + " " + l.transparent() + " " + l.peek()
                + " " + l.defaultPort()).toList();
    }

    /** Returns true when the new configuration is in use. */
    synchronized boolean reload() {
        systemd.reloading();
        gateway.reopenLogs(); // whatever the file says: logrotate's postrotate relies on it
        try {
            CompiledConfig compiled = CompiledConfig.load(file, gateway.kerberos());
            GatewayConfig next = compiled.config();
            GatewayConfig running = gateway.compiled().config();
            if (!listeners(next).equals(listeners(running))) {
                LOG.warn("listener changes in {} take effect at the next restart", file);
            }
            if (next.operations().admin() == null ? running.operations().admin() != null
                    : !next.operations().admin().equals(running.operations().admin())) {
                LOG.warn("admin changes in {} take effect at the next restart", file);
            }
            if (!next.accessLog().equals(running.accessLog())) {
                LOG.warn("access_log changes in {} take effect at the next restart", file);
            }
            gateway.reload(compiled);
            gateway.reloadAsked(true);
            LOG.info("configuration reloaded: {}", next.summary());
            next.warnings().forEach(w -> LOG.warn("{}", w));
            return true;
        } catch (IllegalStateException e) { // a krb5.conf other than the one the JVM has read
            LOG.error("reload refused, the running configuration stays: {}", e.getMessage());
            gateway.reloadAsked(false);
            return false;
        } catch (ConfigException e) {
            LOG.error("reload refused, the running configuration stays ({} error{}):", e.errors().size(),
                    e.errors().size() == 1 ? "" : "s");
            for (ConfigError error : e.errors()) {
                LOG.error("  {}", error);
            }
            gateway.reloadAsked(false);
            return false;
        } finally {
            systemd.ready("serving");
        }
    }
}
