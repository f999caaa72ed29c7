package dev.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A 407's body is skipped exactly, so the next answer on the connection starts where it should. */
class BodyDrainTest {

    static ProxyResponse r(long length, boolean chunked) {
        return new ProxyResponse(407, "P", List.of(), true, length, chunked);
    }

    /** Feeds {@code body + after} in steps; returns what is left once the body is skipped. */
    static String skip(ProxyResponse r, String bytes, int step) throws BadAnswer {
        BodyDrain d = new BodyDrain(r);
        ByteBuf in = Unpooled.buffer();
        byte[] b = bytes.getBytes(StandardCharsets.ISO_8859_1);
        int i = 0;
        while (!d.done()) {
            in.writeBytes(b, i, Math.min(step, b.length - i));
            i += Math.min(step, b.length - i);
            d.skip(in);
            if (i >= b.length && !d.done()) {
                return null;
            }
        }
        in.writeBytes(b, i, b.length - i);
        return in.toString(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest(name = "in steps of {0}")
    @ValueSource(ints = {1, 3, 1000})
    void countedAndChunkedBodiesEndExactly(int step) throws BadAnswer {
        assertThat(skip(r(10, false), "0123456789HTTP/1.1", step)).isEqualTo("HTTP/1.1");
        assertThat(skip(r(0, false), "HTTP/1.1", step)).isEqualTo("HTTP/1.1");
        assertThat(skip(r(-1, true), "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nHTTP/1.1", step))
                .isEqualTo("HTTP/1.1");
        assertThat(skip(r(-1, true), "0\r\n\r\nnext", step)).isEqualTo("next");
        assertThat(skip(r(10, false), "01234", step)).as("not all there yet").isNull();
    }

    @Test
    void refusesBrokenOrHugeBodies() {
        assertThatThrownBy(() -> skip(r(-1, true), "zz\r\n", 100)).isInstanceOf(BadAnswer.class)
                .hasMessageContaining("chunk size");
        assertThatThrownBy(() -> skip(r(-1, true), "z\u001b[2J\rx\n", 100)).isInstanceOf(BadAnswer.class)
                .hasMessage("bad chunked 407 body: chunk size \"z\\x1b[2J\\x0dx\"");
        assertThatThrownBy(() -> skip(r(-1, true), "3\r\nabcX\r\n", 100)).isInstanceOf(BadAnswer.class)
                .hasMessageContaining("no line end after a chunk");
        assertThatThrownBy(() -> skip(r(-1, true), "200000\r\n", 100)).isInstanceOf(BadAnswer.class)
                .hasMessageContaining("over 1048576 bytes");
        assertThatThrownBy(() -> skip(r(2_000_000, false), "x", 100)).isInstanceOf(BadAnswer.class)
                .hasMessageContaining("over 1048576");
    }
}
