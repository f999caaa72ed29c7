package dev.sluice.inbound;

import dev.sluice.config.ListenerConfig;
import dev.sluice.config.Transparent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One configured listener; every accepted connection is handed to {@code onAccept} on its event loop, and every
 * failed accept to {@code onAcceptError} (after which that socket stops accepting for a second).
 *
 * <p>On epoll it binds one listening socket per I/O event loop with {@code SO_REUSEPORT}: the kernel spreads new
 * connections over them, and each connection lives on the loop that accepted it (no hand-over between threads,
 * no acceptor thread). Elsewhere one socket accepts and spreads connections over the loops.
 */
public final class Listener {
    /** Per-connection write buffer bounds: above HIGH the relay stops reading from the other side. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 512 * 1024);

    private final ListenerConfig config;
    private final EventLoopGroup workers;
    private final boolean reusePort;
    private final ChannelFactory<? extends ServerChannel> channelFactory;
    private final BiConsumer<ListenerConfig, SocketChannel> onAccept;
    private final AcceptErrors acceptErrors;
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private volatile InetSocketAddress bound;

    /** {@code reusePort}: one socket per loop of {@code workers} (epoll only). */
    public Listener(ListenerConfig config, EventLoopGroup workers, boolean reusePort,
                    ChannelFactory<? extends ServerChannel> channelFactory,
                    BiConsumer<ListenerConfig, SocketChannel> onAccept, Consumer<Throwable> onAcceptError) {
        this.config = config;
        this.workers = workers;
        this.reusePort = reusePort;
        this.channelFactory = channelFactory;
        this.onAccept = onAccept;
        this.acceptErrors = new AcceptErrors(onAcceptError);
    }

    /**
     * Binds every socket; blocks, so call it off the event loops. Returns null, or the OS's reason (address in
     * use, permission denied...), in which case nothing stays bound.
     */
    public Throwable bind() {
        InetSocketAddress address = new InetSocketAddress(config.listen().host(), config.listen().port());
        if (reusePort && address.getPort() != 0) {
            // SO_REUSEPORT would let this bind join another process's sockets on the port (say, a second
            // Sluice) instead of failing: a plain bind first makes "address in use" an error as before
            ChannelFuture probe = bootstrap(workers.next(), false).bind(address).awaitUninterruptibly();
            if (!probe.isSuccess()) {
                return probe.cause();
            }
            probe.channel().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        for (EventLoopGroup loop : acceptLoops()) {
            ChannelFuture f = bootstrap(loop, reusePort).bind(address).awaitUninterruptibly();
            if (!f.isSuccess()) {
                close();
                return f.cause();
            }
            channels.add(f.channel());
            address = (InetSocketAddress) f.channel().localAddress(); // the real port when it was 0
            bound = address;
        }
        return null;
    }

    private List<EventLoopGroup> acceptLoops() {
        if (!reusePort) {
            return List.of(workers);
        }
        List<EventLoopGroup> loops = new ArrayList<>();
        for (EventExecutor e : workers) {
            loops.add((EventLoop) e);
        }
        return loops;
    }

    private ServerBootstrap bootstrap(EventLoopGroup acceptor, boolean withReusePort) {
        // an EventLoop is a group of one: its accepted connections stay on it
        EventLoopGroup children = withReusePort ? acceptor : workers;
        // no TCP_NODELAY option: Netty sets it on every socket already, and each set is a syscall
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptor, children)
                .channelFactory(channelFactory)
                .handler(acceptErrors)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        onAccept.accept(config, ch);
                    }
                });
        if (withReusePort) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        if (config.transparent() == Transparent.TPROXY) {
            // needs CAP_NET_ADMIN; without it the bind fails with "Operation not permitted"
            b.option(EpollChannelOption.IP_TRANSPARENT, true);
        }
        return b;
    }

    public ListenerConfig config() {
        return config;
    }

    /** The bound address (with the real port when the configuration said 0); still known after close. */
    public InetSocketAddress localAddress() {
        return bound;
    }

    /** Every socket bound and accepting (false once closed for a shutdown). */
    public boolean isBound() {
        return !channels.isEmpty() && channels.stream().allMatch(Channel::isActive);
    }

    /** Listening sockets (one per event loop with SO_REUSEPORT). */
    public int sockets() {
        return channels.size();
    }

    /** Stops accepting: closes every socket, waiting up to 2 s for each. */
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
