package dev.sluice.io;

import dev.sluice.config.ListenerConfig;
import dev.sluice.config.Transparent;
import dev.sluice.inbound.Listener;
import dev.sluice.net.IpLiteral;
import dev.sluice.relay.Splice;
import dev.sluice.upstream.AttemptListener;
import dev.sluice.upstream.Dialer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The gateway's I/O machinery: the transport (detected once), one event loop per core for the tunnels, the DNS
 * resolver (direct tunnels only) and the sockets the dialer makes, all made by the constructor; and one event loop
 * for the admin listener, made when there is one.
 * Every socket the gateway makes or accepts is made ready for splice(2) here ({@link #spliceReady}), before its
 * first read: the one place that has to know.
 */
public final class IoRuntime implements AutoCloseable {
    private final Transport transport = Transport.detect();
    private final EventLoopGroup workers;
    private EventLoopGroup adminLoop; // made when first asked for: only with an admin listener
    private final AddressResolverGroup<InetSocketAddress> resolvers;
    private final ChannelFactory<Channel> sockets;

    public IoRuntime() {
        workers = transport.newGroup(Math.max(1, Runtime.getRuntime().availableProcessors()), "sluice-io");
        try {
            resolvers = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                    .datagramChannelType(transport.datagramChannel()));
        } catch (RuntimeException e) {
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        if (transport.isEpoll()) {
            Splice.loadPipes();
        }
        ChannelFactory<? extends Channel> plain = transport.socketChannels();
        sockets = () -> spliceReady(plain.newChannel());
    }

    /** A channel's receive path made countable for {@link Splice}; harmless where splice(2) is not possible. */
    private static <C extends Channel> C spliceReady(C ch) {
        Splice.prepare(ch);
        return ch;
    }

    /**
     * A listener for {@code lc} on the tunnel loops (not yet bound): each accepted connection, ready for splice,
     * goes to {@code onAccept} on its event loop.
     */
    public Listener listener(ListenerConfig lc, BiConsumer<ListenerConfig, SocketChannel> onAccept,
                      Consumer<Throwable> onAcceptError) throws IOException {
        if (lc.transparent() != Transparent.OFF && !transport.isEpoll()) {
            throw new IOException("listener " + lc.name() + ": transparent " + lc.transparent().label()
                    + " needs the Linux epoll transport, which is not available: " + transport.whyNotEpoll());
        }
        return new Listener(lc, workers, transport.isEpoll(), transport.serverChannels(IpLiteral.parse(lc.listen().host())),
                (config, ch) -> onAccept.accept(config, spliceReady(ch)), onAcceptError);
    }

    public Transport transport() {
        return transport;
    }

    /** The tunnels' event loops (health probes run there too; systemd's watchdog checks they answer). */
    public EventLoopGroup workers() {
        return workers;
    }

    /** The admin listener's one event loop, made on the first call. */
    public synchronized EventLoopGroup adminLoop() {
        if (adminLoop == null) {
            adminLoop = transport.newGroup(1, "sluice-admin");
        }
        return adminLoop;
    }

    /** The dialer of the gateway's own connections; {@code attempts} is told of every proxy attempt. */
    public Dialer dialer(AttemptListener attempts) {
        return new Dialer(sockets, resolvers, Listener.WATER_MARK, attempts);
    }

    @Override
    public synchronized void close() {
        if (adminLoop != null) {
            adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        resolvers.close();
    }
}
