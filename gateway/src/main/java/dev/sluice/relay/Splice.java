package dev.sluice.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The zero-copy path: {@code splice(2)} from one leg's socket through a pipe into the other's, so payload never
 * enters user space. Everything that knows of Netty's (deprecated) {@code spliceTo} lives here, behind the copy
 * {@link Relay}: the day Netty drops it, this class goes and the copy path stays.
 *
 * <p>What Netty's splice does not give, and this class adds: the number of bytes moved (a counting receive
 * allocator sees every {@code splice} result), and a reliable end of input. Netty reports the peer's FIN as
 * soon as it is seen (EPOLLRDHUP), while up to a socket buffer of data may still wait to be spliced; the end is
 * real only once a read round moved nothing and nothing is waiting in the pipe ({@link #drained}).
 */
public final class Splice {
    /** Off with {@code -Dsluice.splice=false}. */
    static final boolean ENABLED = !"false".equals(System.getProperty("sluice.splice"));

    private Splice() {
    }

    /**
     * Prepares a new channel (before its first read) so that it can be spliced later: a receive allocator of
     * its own that counts what is read. Harmless where splice is not possible.
     */
    public static void prepare(Channel ch) {
        ChannelConfig config = ch.config();
        if (ENABLED && ch instanceof AbstractEpollStreamChannel && !(config.getRecvByteBufAllocator() instanceof Counter)) {
            config.setRecvByteBufAllocator(new Counter(config.getRecvByteBufAllocator()));
        }
    }

    /** Both plain TCP on epoll, on one event loop, prepared, no TLS in between. */
    static boolean possible(Channel from, Channel to) {
        return ENABLED && from instanceof AbstractEpollStreamChannel && to instanceof AbstractEpollStreamChannel
                && from.eventLoop() == to.eventLoop()
                && from.config().getRecvByteBufAllocator() instanceof Counter
                && from.pipeline().get(SslHandler.class) == null && to.pipeline().get(SslHandler.class) == null;
    }

    /**
     * From now on everything {@code from} receives goes to {@code to} by splice, after what was written to it
     * before. The future fails if splicing stops (the pipe could not be made, a leg failed); reading then goes
     * on the ordinary way.
     */
    @SuppressWarnings("deprecation")
    static ChannelFuture start(Channel from, Channel to) {
        Counter c = counter(from);
        c.counting = true;
        c.pipeSize = Pipes.enlarge(to); // a round then splices up to the large pipe's capacity
        return ((AbstractEpollStreamChannel) from).spliceTo((AbstractEpollStreamChannel) to, Integer.MAX_VALUE);
    }

    /**
     * The splice failed because its pipe could not be made (out of descriptors), not because a leg failed: the
     * copy path can go on.
     */
    static boolean noPipe(Throwable cause) {
        return cause instanceof Errors.NativeIoException && String.valueOf(cause.getMessage()).startsWith("newPipe");
    }

    /** Stops counting (after a failed splice, ordinary reads are counted by the relay). */
    static void stopped(Channel from) {
        Counter c = counter(from);
        c.counting = false;
        c.pipeSize = 0;
    }

    /** Makes large pipes possible from now on (see {@link Pipes}); until then, and without, Netty's are used. */
    public static void loadPipes() {
        Pipes.loadInBackground();
    }

    /** Bytes spliced from {@code from} since the last call. */
    static long take(Channel from) {
        Counter c = counter(from);
        long n = c.moved;
        c.moved = 0;
        return n;
    }

    /** Nothing spliced from this side waits in the pipe or in the peer's write queue. */
    static boolean drained(Channel to) {
        ChannelOutboundBuffer out = to.unsafe().outboundBuffer();
        return out == null || out.isEmpty();
    }

    private static Counter counter(Channel ch) {
        return (Counter) ch.config().getRecvByteBufAllocator();
    }

    /** One per channel (so its count is that channel's): the channel's own allocator, counting. */
    private static final class Counter implements RecvByteBufAllocator {
        private final RecvByteBufAllocator base;
        boolean counting;
        long moved;
        int pipeSize; // of the large pipe the splice writes into, 0 for Netty's own

        Counter(RecvByteBufAllocator base) {
            this.base = base;
        }

        @Override
        public Handle newHandle() {
            return new CountingHandle((ExtendedHandle) base.newHandle());
        }

        private final class CountingHandle extends DelegatingHandle implements ExtendedHandle {
            CountingHandle(ExtendedHandle delegate) {
                super(delegate);
            }

            /** While splicing into a large pipe: how much one splice from the socket may move. */
            @Override
            public int guess() {
                return counting && pipeSize > 0 ? pipeSize : super.guess();
            }

            @Override
            public void lastBytesRead(int bytes) {
                super.lastBytesRead(bytes);
                if (counting && bytes > 0) {
                    moved += bytes;
                }
            }

            @Override
            public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
                return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
            }
        }
    }
}
