package dev.sluice.session;

import dev.sluice.config.Action;
import dev.sluice.config.ListenerConfig;
import dev.sluice.inbound.HeadTap;
import dev.sluice.inbound.HeldBytes;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.inbound.StrictRequestDecoder;
import dev.sluice.net.IpLiteral;
import dev.sluice.policy.Decision;
import dev.sluice.policy.Flow;
import dev.sluice.policy.LocalTargets;
import dev.sluice.relay.Closing;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.flow.FlowControlHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A {@code peek: http} connection's side of {@link ClientConnection}: its pipeline (a copy of the raw bytes, the
 * strict decoder, the encoder, one message per read, the {@link HttpForwarder}), how each request is routed (the
 * name from its target, else the DNS table's; the rules; the own-host guard), the hand-over of a connection that
 * is relayed as it is, and the gateway's own answers.
 */
final class HttpRoutes implements HttpRouting {
    /** Relays the connection's bytes for decision {@code d}: {@code ClientConnection}'s dial and relay. */
    interface Connector {
        void connect(Decision d, String name, HeldBytes held);
    }

    private static final String DECODER = "http-decoder";
    private static final String ENCODER = "http-encoder";
    private static final String FLOW = "http-flow";

    private final Channel client;
    private final ConnectionRecord record;
    private final ListenerConfig listener;
    private final CompiledConfig compiled;
    private final LocalTargets localTargets;
    private final InetSocketAddress dst;
    private final String dnsName;
    private final Connector connector;
    private HttpForwarder forwarder;

    HttpRoutes(Channel client, ConnectionRecord record, ListenerConfig listener, CompiledConfig compiled,
               LocalTargets localTargets, InetSocketAddress dst, String dnsName, Connector connector) {
        this.client = client;
        this.record = record;
        this.listener = listener;
        this.compiled = compiled;
        this.localTargets = localTargets;
        this.dst = dst;
        this.dnsName = dnsName;
        this.connector = connector;
    }

    /** Sets up the pipeline; reading is driven by the forwarder from here on. */
    void start(Dialer dialer, InetAddress from) {
        client.config().setAutoRead(false);
        forwarder = new HttpForwarder(this, dialer, from, compiled.config().timeouts());
        client.pipeline().addLast(HeadTap.NAME, new HeadTap())
                .addLast(DECODER, new StrictRequestDecoder())
                .addLast(ENCODER, new HttpResponseEncoder())
                .addLast(FLOW, new FlowControlHandler())
                .addLast(HttpForwarder.NAME, forwarder);
    }

    @Override
    public Route route(HttpRequest req, boolean first) {
        RequestTarget target;
        try {
            RequestTarget.Refusal bad = RequestHeads.check(req);
            if (bad != null) {
                throw bad;
            }
            target = RequestHeads.target(req, dst == null ? null : dst.getAddress(), port());
        } catch (RequestTarget.Refusal r) {
            return Route.refused(null, null, r.status(), r.getMessage());
        }
        InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
        boolean fromDns = target.host() == null && dnsName != null;
        if (target.host() == null && (dnsName != null || dst != null)) {
            // an HTTP/1.0 request without Host goes where the connection was going: the DNS table's name, else the
            // destination's address
            target = new RequestTarget(fromDns ? dnsName : IpLiteral.format(dst.getAddress()), target.port(),
                    target.path());
        }
        String name = target.host() == null || target.ipLiteral() ? null : target.host(); // an IP literal: no name
        if (first) {
            if (name != null) {
                record.name(name, fromDns ? "dns" : "host");
            }
            if (dnsName != null && name != null && !name.equals(dnsName)) {
                record.note("the Host differs from " + dnsName + ", the name of synthetic address "
                        + IpLiteral.format(dst.getAddress()) + ": routed by the Host");
            }
        }
        Flow flow = new Flow(from.getAddress(), dst, target.port(), name, List.of(), listener.name());
        Decision d = compiled.policy().decide(flow);
        if (first) {
            record.route(d.rule() == null ? null : d.ruleName(), d.action().label(), d.upstream(), d.target());
        }
        String what = name == null ? "a request without a host name" : name;
        if (d.action() == Action.REJECT) {
            return Route.refused(target, d, 403, d.rule() == null ? "no rule allows " + what
                    : "rule '" + d.ruleName() + "' rejects " + what);
        }
        if (d.host() == null) {
            return Route.refused(target, d, 400, "the request names no host and its destination is unknown: "
                    + "nowhere to send it");
        }
        String local = localTargets.refusal(flow, d);
        if (local != null) {
            return Route.refused(target, d, 403, local);
        }
        Upstream up = d.action() == Action.SPLICE ? compiled.upstreams().get(d.upstream()) : null;
        return new Route(target, d, up, 0, null, null);
    }

    @Override
    public void relayRaw(Route route) {
        removeHttpHandlers();
        connector.connect(route.decision(), record.name(), (HeadTap) client.pipeline().get(HeadTap.NAME));
    }

    @Override
    public void refuse(int status, String reason) {
        answer(status, reason);
    }

    @Override
    public ConnectionRecord record() {
        return record;
    }

    /** The port the client was going to, or the listener's default port. */
    private int port() {
        return dst != null ? dst.getPort() : listener.defaultPort();
    }

    /**
     * Answers the client {@code status} with {@code reason} and closes, while no byte of a relay has moved (the
     * HTTP handlers or the raw-byte copy still in place); a reset once it has.
     */
    void answer(int status, String reason) {
        if (client.pipeline().get(HeadTap.NAME) == null && forwarder == null) {
            Closing.reset(client);
            return;
        }
        removeHttpHandlers();
        if (client.pipeline().get(HeadTap.NAME) != null) {
            client.pipeline().remove(HeadTap.NAME);
        }
        Closing.afterWriting(client, HttpAnswers.refusal(client.alloc(), status, reason),
                ClientConnection.ALERT_WRITE_MILLIS);
    }

    /** The gateway is draining: no request after the one in flight. */
    void draining() {
        if (forwarder != null) {
            forwarder.draining();
        }
    }

    /** The client's connection closed: the request in flight is logged before the connection's line. */
    void clientClosed() {
        if (forwarder != null) {
            forwarder.clientClosed();
        }
    }

    /** Takes the HTTP handlers out of the pipeline (the raw-byte copy stays); queued messages are dropped. */
    private void removeHttpHandlers() {
        forwarder = null;
        for (String name : new String[] {HttpForwarder.NAME, FLOW, ENCODER, DECODER}) {
            if (client.pipeline().get(name) != null) {
                client.pipeline().remove(name);
            }
        }
    }
}
