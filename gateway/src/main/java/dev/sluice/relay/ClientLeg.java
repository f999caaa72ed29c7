package dev.sluice.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * The client's side of a tunnel as the relay takes it over.
 *
 * @param channel the accepted connection
 * @param prefix  every byte read from it so far (the ClientHello and what followed), written upstream first;
 *                the relay owns it
 * @param ended   the client's FIN was already seen while its prefix was held
 */
public record ClientLeg(Channel channel, ByteBuf prefix, boolean ended) {
}
