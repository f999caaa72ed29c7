package dev.sluice.upstream;

import dev.sluice.net.HostPort;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * A plain TCP connection made by the gateway itself ({@code direct}): the name resolved at dial time, the address
 * checked by the caller's refusal (the gateway's own services), then connected.
 */
final class DirectDial {
    private DirectDial() {
    }

    static Future<Channel> dial(Sockets sockets, EventLoop loop, String host, int port, long timeoutMillis,
                                DialObserver observer, Function<InetSocketAddress, String> refusal) {
        Promise<Channel> result = loop.newPromise();
        long start = System.nanoTime();
        sockets.resolve(loop, host, port).addListener(rf -> {
            if (result.isDone()) {
                return;
            }
            if (!rf.isSuccess()) {
                String why = "cannot resolve " + host + ": " + IoErrors.describe(rf.cause());
                observer.attempt(new HostPort(host, port).toString(), why, IoErrors.millisSince(start));
                result.tryFailure(new DialException(DialException.Kind.CONNECT, why));
                return;
            }
            InetSocketAddress address = (InetSocketAddress) rf.getNow();
            String via = HostPort.of(address).toString();
            String local = refusal.apply(address);
            if (local != null) {
                String refused = "refused: " + via + " " + local;
                observer.attempt(via, refused, IoErrors.millisSince(start));
                result.tryFailure(new DialException(DialException.Kind.REFUSED, refused));
                return;
            }
            ChannelFuture cf = sockets.bootstrap(loop, timeoutMillis).handler(new ChannelInboundHandlerAdapter())
                    .connect(address);
            result.addListener(f -> {
                if (f.isCancelled()) {
                    cf.channel().close();
                }
            });
            cf.addListener(f -> Sockets.onLoop(loop, () -> {
                if (f.isSuccess()) {
                    observer.attempt(via, null, IoErrors.millisSince(start));
                    if (!result.trySuccess(cf.channel())) {
                        cf.channel().close();
                    }
                } else {
                    String ownLimit = IoErrors.localFailure(f.cause());
                    String why = ownLimit != null ? ownLimit : IoErrors.describe(f.cause());
                    observer.attempt(via, why, IoErrors.millisSince(start));
                    result.tryFailure(new DialException(ownLimit != null ? DialException.Kind.LOCAL
                            : DialException.Kind.CONNECT, why));
                }
            }));
        });
        return result;
    }
}
