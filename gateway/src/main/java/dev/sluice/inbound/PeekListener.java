package dev.sluice.inbound;

import io.netty.channel.Channel;

/** Told, once per connection and on its event loop, what {@link PeekHandler} found. */
public interface PeekListener {

    /** A complete ClientHello arrived; later bytes are held (bounded) until {@link PeekHandler#release}. */
    void onHello(Channel channel, Hello hello, PeekHandler peek);

    /** No usable ClientHello: {@code reason} is safe to log (attacker bytes escaped). */
    void onFailure(Channel channel, PeekFailure failure, String reason, int bytesRead);
}
