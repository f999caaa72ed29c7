package dev.sluice.relay;

import io.netty.channel.Channel;
import java.util.function.Consumer;

/**
 * The upstream side of a tunnel (to the proxy, or to the destination for direct) as the relay takes it over.
 *
 * @param channel the dialled connection
 * @param release hands on, through the channel's pipeline and in order, what arrived on it before the relay (tunnel
 *                bytes that came with the proxy's answer, its FIN, an error); the relay calls it once it is in place
 */
public record UpstreamLeg(Channel channel, Consumer<Channel> release) {
}
