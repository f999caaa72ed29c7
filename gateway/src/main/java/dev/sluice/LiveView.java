package dev.sluice;

import dev.sluice.config.Limits;
import dev.sluice.inbound.Listener;
import dev.sluice.observe.GatewayView;
import dev.sluice.policy.Rule;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.upstream.Upstream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** The running gateway as the admin listener sees it: read-only, always the configuration in use. */
final class LiveView implements GatewayView {
    private final Gateway gateway;
    private final Instant started = Instant.now();
    private final Build build;

    LiveView(Gateway gateway) {
        this.gateway = gateway;
        this.build = new Build(Version.get(), Version.netty(), System.getProperty("java.version"),
                Transport.detect().name());
    }

    @Override
    public Build build() {
        return build;
    }

    @Override
    public Instant started() {
        return started;
    }

    @Override
    public State state() {
        return gateway.state();
    }

    @Override
    public List<ListenerInfo> listeners() {
        List<ListenerInfo> out = new ArrayList<>();
        for (Listener l : gateway.listeners()) {
            out.add(new ListenerInfo(l.config().name(), ConnectionRecord.hostPort(l.localAddress()),
                    l.config().transparent().label(), l.isBound()));
        }
        return out;
    }

    @Override
    public Collection<Upstream> upstreams() {
        return gateway.routing().upstreams().values().stream().sorted(Comparator.comparing(Upstream::name)).toList();
    }

    @Override
    public List<Rule> rules() {
        return gateway.routing().policy().rules();
    }

    @Override
    public Limits limits() {
        return gateway.routing().config().operations().limits();
    }

    @Override
    public int connections() {
        return gateway.connections();
    }
}
