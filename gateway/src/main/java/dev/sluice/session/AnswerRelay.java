package dev.sluice.session;

import dev.sluice.inbound.RequestTarget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One request's answer from the proxy to the client: the head as {@link AnswerHeads} makes it (1xx passed on to
 * HTTP/1.1 clients), the body piece by piece, the proxy paused while the client cannot take more. Tells its
 * {@link Ending} how the answer ended.
 */
final class AnswerRelay {
    /** How an answer ended. */
    interface Ending {
        /** The final answer was sent whole; {@code closeClient}/{@code keepProxy}: what becomes of the connections. */
        void answered(boolean closeClient, boolean keepProxy);

        /** The proxy broke the exchange ({@code why}); {@code started}: the client has part of an answer. */
        void broke(String why, boolean started);

        /** The proxy asks for credentials on a connection it had accepted. */
        void authLost();
    }

    private final ChannelHandlerContext client;
    private final HttpProxyLink proxy;
    private final ConnectionRecord record;
    private final RequestRecord rec;
    private final boolean http10;
    private final boolean headRequest;
    private final boolean clientKeepAlive;
    private final Ending ending;
    private boolean started;
    private boolean informational;
    private AnswerHeads heads;

    AnswerRelay(ChannelHandlerContext client, HttpProxyLink proxy, ConnectionRecord record, RequestRecord rec,
                boolean http10, boolean headRequest, boolean clientKeepAlive, Ending ending) {
        this.client = client;
        this.proxy = proxy;
        this.record = record;
        this.rec = rec;
        this.http10 = http10;
        this.headRequest = headRequest;
        this.clientKeepAlive = clientKeepAlive;
        this.ending = ending;
    }

    /** True once the final answer's head went to the client. */
    boolean started() {
        return started;
    }

    void piece(HttpObject msg) {
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            ending.broke("the proxy's answer is malformed: "
                    + RequestTarget.shown(String.valueOf(msg.decoderResult().cause().getMessage())), started);
            return;
        }
        if (msg instanceof HttpResponse r && !head(r)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent c) {
            body(c);
        }
    }

    /** False when the answer ends here. */
    private boolean head(HttpResponse r) {
        int code = r.status().code();
        if (code == 101) {
            ending.broke("the proxy switched protocols (101), which the gateway does not carry", started);
            return false;
        }
        if (code == 407 && !started) {
            ending.authLost();
            return false;
        }
        AnswerHeads a = AnswerHeads.of(r, http10, headRequest, clientKeepAlive);
        informational = a.informational();
        if (!informational) {
            started = true;
            heads = a;
            rec.status(code);
        } else if (http10) {
            return true; // an HTTP/1.0 client knows no 1xx: its end is dropped below
        }
        client.write(a.head());
        return true;
    }

    private void body(HttpContent c) {
        if (informational) {
            c.release(); // a 1xx has no body; its end only
            if (c instanceof LastHttpContent) {
                informational = false;
            }
            return;
        }
        int n = c.content().readableBytes();
        rec.down(n);
        record.addDown(n, false);
        client.write(c);
        if (!client.channel().isWritable()) {
            proxy.pause(true);
        }
        if (c instanceof LastHttpContent) {
            client.flush();
            ending.answered(heads.closeClient(), heads.keepProxy());
        }
    }
}
