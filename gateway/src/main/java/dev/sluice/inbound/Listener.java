package dev.sluice.inbound;

import dev.sluice.config.ListenerConfig;
import dev.sluice.config.Transparent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One bound listening socket; every accepted connection is handed to {@code onAccept} on its event loop, and
 * every failed accept to {@code onAcceptError} (after which accepting pauses for a second).
 */
public final class Listener {
    /** Per-connection write buffer bounds: above HIGH the relay stops reading from the other side. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 512 * 1024);

    private final ListenerConfig config;
    private final ServerBootstrap bootstrap;
    private Channel channel;
    private volatile InetSocketAddress bound;

    public Listener(ListenerConfig config, EventLoopGroup acceptors, EventLoopGroup workers,
                    ChannelFactory<? extends ServerChannel> channelFactory,
                    BiConsumer<ListenerConfig, SocketChannel> onAccept, Consumer<Throwable> onAcceptError) {
        this.config = config;
        this.bootstrap = new ServerBootstrap()
                .group(acceptors, workers)
                .channelFactory(channelFactory)
                .handler(new AcceptErrors(onAcceptError))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        onAccept.accept(config, ch);
                    }
                });
    }

    /** Binds; the future fails with the OS's reason (address in use, permission denied...). */
    public ChannelFuture bind() {
        if (config.transparent() == Transparent.TPROXY) {
            // needs CAP_NET_ADMIN; without it the bind fails with "Operation not permitted"
            bootstrap.option(EpollChannelOption.IP_TRANSPARENT, true);
        }
        InetSocketAddress address = new InetSocketAddress(config.listen().host(), config.listen().port());
        ChannelFuture f = bootstrap.bind(address);
        channel = f.channel();
        return f;
    }

    public ListenerConfig config() {
        return config;
    }

    /** The bound address (with the real port when the configuration said 0); still known after close. */
    public InetSocketAddress localAddress() {
        InetSocketAddress now = channel == null ? null : (InetSocketAddress) channel.localAddress();
        if (now != null) {
            bound = now;
        }
        return now != null ? now : bound;
    }

    /** Bound and accepting (false once closed for a shutdown). */
    public boolean isBound() {
        return channel != null && channel.isActive();
    }

    public ChannelFuture close() {
        return channel.close();
    }
}
