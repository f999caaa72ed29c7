package dev.sluice.dns;

import java.util.Locale;

/** What the DNS responder tells the rest of the gateway: each answer it gave, and each problem (for the log). */
public interface DnsEvents {
    /** How a query was answered. */
    enum Answer {
        /** A or AAAA from the synthetic ranges. */
        SYNTHETIC,
        /** A claimed name, a type other than A and AAAA (HTTPS, SVCB...): no data. */
        NODATA,
        /** Forwarded; the resolver's answer passed back. */
        FORWARDED,
        /** A name an explicit reject rule names, with {@code rejected: nxdomain}. */
        NXDOMAIN,
        /** Not a client in {@code clients}. */
        REFUSED,
        /** Over the client's query rate. */
        RATELIMITED,
        /** The synthetic table is full of names in use, or no resolver answered. */
        SERVFAIL,
        /** Not a query we can read. */
        FORMERR,
        /** Not a standard query. */
        NOTIMP;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why a query got less than it asked for; each is logged at most once a minute. */
    enum Problem {
        NOT_A_CLIENT("queries from outside the client ranges refused"),
        RATE_LIMITED("a client over dns.limits.client_qps refused"),
        MALFORMED("malformed queries"),
        TABLE_FULL("the synthetic table is full of names in use: SERVFAIL"),
        FORWARD_FAILED("forwarded queries failed: SERVFAIL"),
        RESOLVER_GARBAGE("datagrams from resolvers dropped");

        private final String text;

        Problem(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    void answered(Answer answer);

    /** {@code detail} is printable (attacker-controlled parts escaped). */
    void problem(Problem problem, String detail);
}
