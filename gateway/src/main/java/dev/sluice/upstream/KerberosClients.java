package dev.sluice.upstream;

import dev.sluice.config.NegotiateAuth;
import dev.sluice.upstream.auth.KerberosClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's Kerberos clients, one per principal and keytab, kept across reloads so that a reload neither
 * throws a ticket away nor needs the KDC; a keytab file that changed (a rotated key) gets a new client. Making a
 * client touches no network: only {@link #start} (the gateway running) logs in, so {@code check} never does.
 */
public final class KerberosClients implements AutoCloseable {
    private record Key(String principal, Path keytab, long size, long modified) {
    }

    private final Map<Key, KerberosClient> clients = new ConcurrentHashMap<>();

    KerberosClient client(NegotiateAuth n) {
        return clients.computeIfAbsent(key(n), k -> new KerberosClient(n.principal(), n.keytab()));
    }

    private static Key key(NegotiateAuth n) {
        Path keytab = n.keytab().toAbsolutePath();
        try {
            return new Key(n.principal(), keytab, Files.size(keytab), Files.getLastModifiedTime(keytab).toMillis());
        } catch (IOException e) {
            return new Key(n.principal(), keytab, -1, -1); // its login will say what is wrong with it
        }
    }

    /**
     * Logs in with every client {@code upstreams} use (in the background: nothing waits here), and stops the
     * renewal of those no longer used (their tickets still serve handshakes in progress).
     */
    public void start(Collection<Upstream> upstreams) {
        Set<KerberosClient> used = new HashSet<>();
        for (Upstream u : upstreams) {
            u.allCredentials().stream().filter(c -> c.kerberos() != null).forEach(c -> used.add(c.kerberos()));
        }
        clients.entrySet().removeIf(e -> {
            if (!used.contains(e.getValue())) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        used.forEach(KerberosClient::start);
    }

    @Override
    public void close() {
        clients.values().forEach(KerberosClient::close);
        clients.clear();
    }
}
