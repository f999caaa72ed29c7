package dev.sluice.inbound;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * On a listening channel: a failed accept (EMFILE/ENFILE when the process or the system is out of file
 * descriptors, ENOBUFS...) stops accepting for {@link #PAUSE_MILLIS} and then resumes by itself, so the listener
 * neither spins on the error nor stays deaf once descriptors are free again. Each failure is reported.
 */
@ChannelHandler.Sharable
final class AcceptErrors extends ChannelInboundHandlerAdapter {
    static final long PAUSE_MILLIS = 1000;

    private final Consumer<Throwable> report;

    AcceptErrors(Consumer<Throwable> report) {
        this.report = report;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        report.accept(cause);
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> {
                if (ctx.channel().isOpen()) {
                    ctx.channel().config().setAutoRead(true);
                }
            }, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
        // not passed on: Netty's acceptor would pause again, and the pipeline's tail would log it a second time
    }
}
