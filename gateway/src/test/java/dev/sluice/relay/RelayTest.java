package dev.sluice.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay handler between two {@link DuplexEmbeddedChannel}s joined by {@link Relay#join}: what the hand-over
 * delivers first, bytes both ways, a FIN passed on as a half-close, backpressure, and the ends a user notices
 * (both legs closed, the outcome and error reported). The same rules over real sockets: {@code TunnelFaultTest},
 * {@code SpliceRelayTest}.
 */
class RelayTest {
    private static final long IDLE_MS = 2000;

    private final DuplexEmbeddedChannel client = new DuplexEmbeddedChannel();
    private final DuplexEmbeddedChannel upstream = new DuplexEmbeddedChannel();
    private final Report report = new Report();

    /** What the relay reported, in order. */
    static final class Report implements RelayReport {
        final List<String> events = new ArrayList<>();
        long up;
        long down;
        Verdict failed;
        String note;
        boolean ownerCloses;

        @Override
        public void joined(long prefixBytes) {
            events.add("joined " + prefixBytes);
            up += prefixBytes;
        }

        @Override
        public void moved(Direction direction, long n, boolean spliced) {
            if (direction.up()) {
                up += n;
            } else {
                down += n;
            }
        }

        @Override
        public void failed(Verdict verdict) {
            events.add("failed " + verdict.kind());
            failed = verdict;
        }

        @Override
        public void note(String note) {
            this.note = note;
        }

        @Override
        public boolean closedByOwner() {
            return ownerCloses;
        }
    }

    @AfterEach
    void closeBoth() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    private void join(String prefix, boolean clientEnded, String heldUpstream) {
        UpstreamLeg leg = heldUpstream == null ? new UpstreamLeg(upstream, ch -> { })
                : new UpstreamLeg(upstream, ch -> {
                    ch.pipeline().fireChannelRead(bytes(heldUpstream));
                    ch.pipeline().fireChannelReadComplete();
                });
        Relay.join(new ClientLeg(client, bytes(prefix), clientEnded), leg, IDLE_MS, report);
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Everything written to {@code ch} so far, as text. */
    private static String written(DuplexEmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    @Test
    void theHeldHelloGoesUpFirstAndWhatTheProxySentAlongReachesTheClient() {
        join("HELLO", false, "early tunnel bytes");
        assertThat(written(upstream)).isEqualTo("HELLO");
        assertThat(written(client)).isEqualTo("early tunnel bytes");
        assertThat(report.events).containsExactly("joined 5");
        assertThat(report.up).isEqualTo(5);
        assertThat(report.down).isEqualTo(18);
    }

    @Test
    void bytesPassBothWaysAndAreCounted() {
        join("HELLO", false, null);
        written(upstream);
        client.writeInbound(bytes("request"));
        upstream.writeInbound(bytes("response"));
        client.writeInbound(bytes("more"));
        assertThat(written(upstream)).isEqualTo("requestmore");
        assertThat(written(client)).isEqualTo("response");
        assertThat(report.up).isEqualTo(5 + 11);
        assertThat(report.down).isEqualTo(8);
    }

    @Test
    void aFinBecomesAHalfCloseOfTheOtherLegAndBothEndedCloseBoth() {
        join("HELLO", false, null);
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(upstream.isOutputShutdown()).as("client's FIN passed on").isTrue();
        assertThat(client.isOutputShutdown()).isFalse();
        upstream.writeInbound(bytes("the rest of the answer"));
        assertThat(written(client)).as("the other direction goes on").isEqualTo("the rest of the answer");

        upstream.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(report.failed).as("an ordered end").isNull();
    }

    /**
     * Once its output is shut, a copied leg is closed by Netty at its own FIN (half-closure off, which spares the
     * exception of a shutdown(SHUT_RD) on a closed socket): that close is its end of stream, not a lost leg.
     */
    @Test
    void aLegClosedAtItsFinAfterItsOutputWasShutIsAnOrderedEnd() {
        join("HELLO", false, null);
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(upstream.isOutputShutdown()).isTrue();
        upstream.writeInbound(bytes("last words"));
        upstream.close(); // what Netty does at the FIN of a leg without half-closure
        assertThat(written(client)).isEqualTo("last words");
        assertThat(client.isOpen()).isFalse();
        assertThat(report.failed).as("an ordered end, not a reset").isNull();
        assertThat(report.note).isNull();
    }

    @Test
    void aFinSeenWhileTheHelloWasHeldIsPassedOnAfterTheHello() {
        join("HELLO", true, null);
        assertThat(written(upstream)).isEqualTo("HELLO");
        assertThat(upstream.isOutputShutdown()).isTrue();
        assertThat(client.isOpen()).as("the answer can still come back").isTrue();
    }

    @Test
    void aSlowLegPausesReadingFromTheOtherUntilItDrains() {
        upstream.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        join("", false, null);
        client.pipeline().fireChannelRead(bytes("more than sixteen bytes"));
        assertThat(client.config().isAutoRead()).as("paused while the upstream cannot take more").isFalse();
        client.pipeline().fireChannelReadComplete(); // flushed: the embedded upstream takes it all
        assertThat(upstream.isWritable()).isTrue();
        assertThat(client.config().isAutoRead()).as("resumed once it drained").isTrue();
        assertThat(written(upstream)).isEqualTo("more than sixteen bytes");
    }

    @Test
    void aLegThatGoesAwayBeforeItsFinIsAResetPassedOn() {
        join("HELLO", false, null);
        upstream.close();
        assertThat(client.isOpen()).isFalse();
        assertThat(report.failed).isEqualTo(new Verdict(Verdict.Kind.RESET, "upstream closed the connection abruptly"));
    }

    @Test
    void anErrorOnALegClosesBothAndSaysWhichSide() {
        join("HELLO", false, null);
        client.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(report.failed).isEqualTo(new Verdict(Verdict.Kind.RESET, "client: Connection reset by peer"));
        assertThat(report.events).as("one verdict: the first cause").containsExactly("joined 5", "failed RESET");
    }

    @Test
    void aCloseNotifyLeftUndeliveredAfterTheFinIsNotedNotFailed() {
        join("HELLO", false, null);
        upstream.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        client.writeInbound(bytes("x".repeat(31))); // the client's close_notify, to a leg that has ended
        upstream.close();
        assertThat(report.failed).isNull();
        assertThat(report.note).isEqualTo("upstream closed after its end of stream; the last 31 bytes for it (such"
                + " as a TLS close_notify) were not delivered");
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void legsTheOwnerClosesAreNotJudged() {
        join("HELLO", false, null);
        report.ownerCloses = true;
        client.close();
        upstream.close();
        assertThat(report.failed).isNull();
    }

    @Test
    void theIdleTimeoutClosesBoth() {
        client.freezeTime();
        join("HELLO", false, null);
        client.advanceTimeBy(IDLE_MS - 1, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertThat(client.isOpen()).as("not yet idle").isTrue();
        client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(report.failed).isEqualTo(new Verdict(Verdict.Kind.IDLE_TIMEOUT,
                "no data in either direction for 2000 ms"));
    }

    @Test
    void aLegGoneBeforeTheJoinClosesTheOtherWithoutAVerdict() {
        upstream.close();
        join("HELLO", false, null);
        assertThat(client.isOpen()).isFalse();
        assertThat(report.failed).isNull();
    }
}
