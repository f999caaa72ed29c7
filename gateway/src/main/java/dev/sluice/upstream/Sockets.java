package dev.sluice.upstream;

import dev.sluice.net.IpLiteral;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * How the gateway makes its own connections: the socket factory (spliceable sockets), TCP options, bounded write
 * buffers, and asynchronous name resolution (an address literal is never looked up).
 */
final class Sockets {
    private final ChannelFactory<? extends Channel> channels;
    private final AddressResolverGroup<InetSocketAddress> resolvers;
    private final WriteBufferWaterMark waterMark;

    Sockets(ChannelFactory<? extends Channel> channels, AddressResolverGroup<InetSocketAddress> resolvers,
            WriteBufferWaterMark waterMark) {
        this.channels = channels;
        this.resolvers = resolvers;
        this.waterMark = waterMark;
    }

    /** TCP_NODELAY is Netty's default for every socket (epoll and NIO): setting it again cost a syscall a leg. */
    Bootstrap bootstrap(EventLoop loop, long timeoutMillis) {
        return new Bootstrap()
                .group(loop)
                .channelFactory(channels)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .disableResolver();
    }

    Future<InetSocketAddress> resolve(EventLoop loop, String host, int port) {
        InetAddress literal = IpLiteral.parse(host);
        if (literal != null) {
            return loop.newSucceededFuture(new InetSocketAddress(literal, port));
        }
        return resolvers.getResolver(loop).resolve(InetSocketAddress.createUnresolved(host, port));
    }

    /** Listeners of a channel that could not even be created run on a global executor: come back to the loop. */
    static void onLoop(EventLoop loop, Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }
}
