package dev.sluice.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.inbound.StrictRequestDecoder;
import dev.sluice.session.RequestHeads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the reading of a plain HTTP client's request head: the strict decoder, the checks and the target
 * ({@link RequestHeads}, {@link RequestTarget}), and the absolute-form head written for the proxy. For every input:
 * <ul>
 *   <li>nothing escapes but a request (valid, or carrying the decoder's failure) and its body pieces; a refusal
 *       has a 4xx/5xx status and a printable reason;</li>
 *   <li>a target that is accepted names a lower-case host name or an IP literal (or nothing, for HTTP/1.0), a
 *       path starting with {@code /} and no control bytes or spaces;</li>
 *   <li>the head written for the proxy, read back by the same strict decoder, is one valid request with the same
 *       method, the absolute URI, one {@code Host} equal to the target's authority, no hop-by-hop field and the
 *       same framing: what the proxy reads is what the gateway meant.</li>
 * </ul>
 * Seeds in {@code HttpRequestHeadFuzzTestInputs/read/}: apt's GET, a chunked POST, absolute form, smuggling shapes.
 */
class HttpRequestHeadFuzzTest {
    private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");
    private static final Pattern HOST = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*|[0-9a-f:.]+");
    private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e]*");

    @FuzzTest
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void read(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder());
        List<Object> out = new ArrayList<>();
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(input));
            ch.finish();
            for (Object m; (m = ch.readInbound()) != null; ) {
                out.add(m);
            }
            for (Object m : out) {
                assertThat(m).isInstanceOfAny(HttpRequest.class, HttpContent.class);
                if (m instanceof HttpRequest req) {
                    checkRequest(req);
                }
            }
        } finally {
            out.forEach(ReferenceCountUtil::release);
        }
    }

    private static void checkRequest(HttpRequest req) {
        RequestTarget.Refusal bad = RequestHeads.check(req);
        RequestTarget target = null;
        if (bad == null) {
            try {
                target = RequestHeads.target(req, null, 80);
            } catch (RequestTarget.Refusal r) {
                bad = r;
            }
        }
        if (bad != null) {
            assertThat(bad.status()).isBetween(400, 599);
            assertThat(bad.getMessage()).matches(PRINTABLE);
            return;
        }
        assertThat(target.path()).matches(PATH);
        if (target.host() == null) {
            assertThat(req.protocolVersion().minorVersion()).isZero();
            return;
        }
        assertThat(target.host()).matches(HOST);
        HttpRequest sent = RequestHeads.absoluteForm(req, target);
        EmbeddedChannel enc = new EmbeddedChannel(new HttpRequestEncoder());
        EmbeddedChannel dec = new EmbeddedChannel(new StrictRequestDecoder());
        try {
            enc.writeOutbound(sent, LastHttpContent.EMPTY_LAST_CONTENT);
            for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
                dec.writeInbound(b);
            }
            HttpRequest back = dec.readInbound();
            assertThat(back).isNotNull();
            assertThat(back.decoderResult().isSuccess()).as("the proxy's reading: %s", back.decoderResult()).isTrue();
            assertThat(back.method()).isEqualTo(req.method());
            assertThat(back.uri()).isEqualTo(target.absolute());
            assertThat(back.headers().getAll("Host")).containsExactly(target.authority());
            for (String hop : List.of("Connection", "Proxy-Connection", "Keep-Alive", "TE", "Upgrade",
                    "Proxy-Authorization")) {
                assertThat(back.headers().contains(hop)).as(hop).isFalse();
            }
            assertThat(back.headers().getAll("Transfer-Encoding")).isEqualTo(req.headers().getAll("Transfer-Encoding")
                    .isEmpty() ? List.of() : List.of("chunked"));
            assertThat(back.headers().getAll("Content-Length")).isEqualTo(req.headers().getAll("Content-Length"));
            for (Map.Entry<String, String> e : back.headers()) {
                assertThat(e.getValue()).doesNotContain("\r").doesNotContain("\n");
            }
            ReferenceCountUtil.release(back);
            for (Object m; (m = dec.readInbound()) != null; ) {
                ReferenceCountUtil.release(m);
            }
        } finally {
            enc.finishAndReleaseAll();
            dec.finishAndReleaseAll();
        }
    }
}
