package dev.sluice.relay;



/** Why a tunnel did not end in order: the first cause, as the access log states it. */
public record Verdict(Kind kind, String error) {
    public enum Kind {
        /** A leg reset, or went away before its end of stream or while data was still going to it. */
        RESET,
        /** No byte in either direction for the idle time. */
        IDLE_TIMEOUT
    }
}
