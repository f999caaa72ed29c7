package dev.sluice.inbound;

import io.netty.buffer.ByteBuf;

/** What a peek holds of a client's first bytes, to be replayed, unchanged, wherever the connection goes. */
public interface HeldBytes {
    /** Hands over every byte read so far and leaves the pipeline; the caller owns the buffer. */
    ByteBuf release();

    /** How many bytes the client sent so far. */
    int bytesRead();

    /** True when the client half-closed (sent FIN) while its bytes were held: the relay must know. */
    boolean inputShutdown();
}
