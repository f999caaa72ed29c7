package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import java.util.List;

/**
 * The admin HTTP listener ({@code /metrics}, {@code /healthz}, {@code /readyz}, {@code /status},
 * {@code /status.json}) and who may reach it. Absent from the configuration (or {@code off}) means no listener.
 */
public record AdminConfig(HostPort listen, List<Cidr> clients) {
    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 9091);
    /** Who may ask when {@code clients} is not given: this host only. */
    public static final List<Cidr> LOCAL = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
}
