package dev.sluice.session;

import dev.sluice.config.Action;
import dev.sluice.config.HttpMode;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.policy.Decision;
import dev.sluice.upstream.Upstream;
import io.netty.handler.codec.http.HttpRequest;

/** What a plain HTTP connection's {@link HttpForwarder} asks of the connection it serves. */
interface HttpRouting {
    /**
     * A request's route: where it goes ({@code target}, null when it could not be read), the policy's
     * {@code decision} (null likewise), the {@code upstream} for {@code splice}, or a refusal: {@code status} and
     * {@code reason} (status 0: none), with the {@code outcome} to log.
     */
    record Route(RequestTarget target, Decision decision, Upstream upstream, int status, String reason,
                 Outcome outcome) {
        static Route refused(RequestTarget target, Decision decision, int status, String reason) {
            return new Route(target, decision, null, status, reason, status == 403 ? Outcome.REJECTED
                    : Outcome.BAD_REQUEST);
        }

        /** True when the connection's bytes go on as they are: {@code direct}, or CONNECT to the port. */
        boolean raw() {
            return decision.action() != Action.SPLICE || upstream.http() == HttpMode.CONNECT;
        }
    }

    /**
     * The route for {@code req} (checked by {@link RequestHeads}, its target read by {@link RequestTarget});
     * the first request's is the connection's.
     */
    Route route(HttpRequest req, boolean first);

    /** The first request's route goes on with the connection's bytes as they are: take over. */
    void relayRaw(Route route);

    /** Answer the client {@code status} with {@code reason} and close (the HTTP handlers go). */
    void refuse(int status, String reason);

    ConnectionRecord record();
}
