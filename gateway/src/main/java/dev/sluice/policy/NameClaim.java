package dev.sluice.policy;

/** What the rules say of a server name before any connection exists: see {@link Policy#claim}. */
public enum NameClaim {
    /** A splice or direct rule routes it: the DNS responder answers with a synthetic address. */
    ROUTED,
    /** A reject rule names it. */
    REJECTED,
    /** No rule names it: the DNS responder forwards the question. */
    UNCLAIMED
}
