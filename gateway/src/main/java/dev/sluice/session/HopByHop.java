package dev.sluice.session;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;

/**
 * The header fields that belong to one connection and are not passed on (RFC 9110, 7.6.1): {@code Connection}
 * and every field it names, {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Upgrade} and the
 * proxy's own {@code Proxy-Authorization} / {@code Proxy-Authenticate}. {@code Transfer-Encoding} and
 * {@code Content-Length} stay: Netty's encoder frames the message by them, as the decoder read it.
 */
final class HopByHop {
    private HopByHop() {
    }

    static void strip(HttpHeaders h) {
        List<String> named = new ArrayList<>();
        for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    named.add(t);
                }
            }
        }
        for (String n : named) {
            if (!n.equalsIgnoreCase("transfer-encoding") && !n.equalsIgnoreCase("content-length")) {
                h.remove(n);
            }
        }
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(HttpHeaderNames.PROXY_CONNECTION);
        h.remove(HttpHeaderNames.TE);
        h.remove(HttpHeaderNames.UPGRADE);
        h.remove(HttpHeaderNames.PROXY_AUTHORIZATION);
        h.remove(HttpHeaderNames.PROXY_AUTHENTICATE);
    }
}
