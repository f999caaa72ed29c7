package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/**
 * {@link NettyLeaks} can fail: a buffer leaked on purpose here (allocated, written, never released, dropped) is
 * reported by the same catcher and flush the extension uses, with the allocation's stack. The leak is reported
 * and consumed inside this test, so it fails nothing else.
 */
class NettyLeaksTest {
    @Test
    void aBufferNeverReleasedIsReportedWithWhereItWasAllocated() {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try (NettyLeaks.Catcher catcher = new NettyLeaks.Catcher()) {
            catcher.flush();
            catcher.leaks.clear();
            assertThat(catcher.flush()).as("nothing leaked yet: the control").isEmpty();

            leakOne();

            assertThat(catcher.flush()).as("what the detector reported").hasSize(1).first().asString()
                    .contains("LEAK: ByteBuf.release() was not called before it's garbage-collected")
                    .contains("NettyLeaksTest.leakOne");
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
    }

    /** Allocates, writes and forgets a buffer (in its own frame, so nothing on the stack keeps it alive). */
    private static void leakOne() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
    }
}
