package dev.sluice.observe.admin;

import dev.sluice.net.IpLiteral;
import dev.sluice.config.AdminConfig;
import dev.sluice.net.Cidr;
import dev.sluice.observe.GatewayView;
import dev.sluice.observe.metrics.Metrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener: {@code /metrics} (Prometheus text format), {@code /healthz}, {@code /readyz},
 * {@code /status} (HTML), {@code /status.json} and, for a gateway pair, {@code /dns/names}. GET and HEAD only
 * (405 otherwise), 404 for other paths, 403 for addresses outside {@code admin.clients}. Runs on its own event loop,
 * so a slow scrape never delays a tunnel.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The page has no script; should escaping ever fail, the browser still runs none. */
    private static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'";

    private final AdminConfig config;
    private final GatewayView gateway;
    private final Metrics metrics;
    private final Activity activity;
    private final ServerBootstrap bootstrap;
    private Channel channel;

    public AdminServer(AdminConfig config, GatewayView gateway, Metrics metrics, Activity activity,
                       EventLoopGroup group, ChannelFactory<? extends ServerChannel> channels) {
        this.config = config;
        this.gateway = gateway;
        this.metrics = metrics;
        this.activity = activity;
        this.bootstrap = new ServerBootstrap().group(group).channelFactory(channels)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30),
                                new HttpServerCodec(4096, 8192, 8192),
                                new HttpObjectAggregator(8192),
                                new Handler());
                    }
                });
    }

    /** Binds; the future fails with the OS's reason. */
    public ChannelFuture bind() {
        ChannelFuture f = bootstrap.bind(new InetSocketAddress(config.listen().host(), config.listen().port()));
        channel = f.channel();
        return f;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(2000);
        }
    }

    private boolean allowed(InetAddress a) {
        for (Cidr c : config.clients()) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse res = answer(ctx, req);
            boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
            HttpUtil.setContentLength(res, res.content().readableBytes());
            if (req.method() == HttpMethod.HEAD) {
                FullHttpResponse head = res.replace(Unpooled.EMPTY_BUFFER); // headers as for GET
                res.release();
                res = head;
            }
            res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            res.headers().set("X-Content-Type-Options", "nosniff");
            if (keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
            } else {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private FullHttpResponse answer(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                return text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            }
            InetAddress from = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            if (!allowed(from)) {
                return text(HttpResponseStatus.FORBIDDEN, IpLiteral.format(from) + " is not in admin.clients\n");
            }
            String path = req.uri();
            int q = path.indexOf('?');
            path = q < 0 ? path : path.substring(0, q);
            boolean known = switch (path) {
                case "/", "/metrics", "/healthz", "/readyz", "/status", "/status.json", "/dns/names" -> true;
                default -> false;
            };
            if (!known) {
                return text(HttpResponseStatus.NOT_FOUND, "not found; try /status, /status.json, /metrics, "
                        + "/healthz or /readyz\n");
            }
            if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                return r;
            }
            return switch (path) {
                case "/metrics" -> metrics(ctx);
                case "/dns/names" -> dnsNames(req.uri());
                case "/healthz" -> health(Health.check(gateway));
                case "/readyz" -> health(Health.ready(gateway));
                case "/status.json" -> response(HttpResponseStatus.OK, "application/json",
                        StatusJson.render(Status.of(gateway, activity)));
                case "/status" -> {
                    FullHttpResponse r = response(HttpResponseStatus.OK, "text/html; charset=utf-8",
                            StatusPage.render(Status.of(gateway, activity)));
                    r.headers().set("Content-Security-Policy", CSP);
                    yield r;
                }
                default -> {
                    FullHttpResponse r = text(HttpResponseStatus.FOUND, "see /status\n");
                    r.headers().set(HttpHeaderNames.LOCATION, "/status");
                    yield r;
                }
            };
        }

        private FullHttpResponse metrics(ChannelHandlerContext ctx) {
            ByteBuf buf = ctx.alloc().buffer(32 * 1024);
            try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
                metrics.write(out);
            } catch (IOException | RuntimeException e) {
                buf.release();
                LOG.warn("cannot write metrics: {}", e.toString());
                return text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot write metrics: " + e + "\n");
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType());
            return r;
        }

        /** The name table for a pair's peer: the names changed after {@code since} (see {@code dns.PairText}). */
        private FullHttpResponse dnsNames(String uri) {
            List<String> since = new QueryStringDecoder(uri).parameters().get("since");
            String body = gateway.dnsNames(since == null || since.isEmpty() ? "" : since.get(0));
            return body == null ? text(HttpResponseStatus.NOT_FOUND, "no DNS responder here (no dns section)\n")
                    : text(HttpResponseStatus.OK, body);
        }

        private FullHttpResponse health(Health h) {
            return text(h.ok() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, h.reason() + "\n");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a read timeout or a reset: nothing to answer
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return response(status, TEXT, body);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String type, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        return r;
    }
}
