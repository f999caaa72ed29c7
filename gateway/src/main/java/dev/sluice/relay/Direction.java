package dev.sluice.relay;



/** One direction of a tunnel: the leg it reads from and the leg it writes to. */
public enum Direction {
    /** Reads the client, writes to the upstream leg (the proxy, or the destination for direct): bytes up. */
    CLIENT_TO_PROXY("client", "upstream"),
    /** Reads the upstream leg, writes to the client: bytes down. */
    PROXY_TO_CLIENT("upstream", "client");

    private final String from;
    private final String to;

    Direction(String from, String to) {
        this.from = from;
        this.to = to;
    }

    /** The side this direction reads, as the access log names it: {@code client} or {@code upstream}. */
    public String from() {
        return from;
    }

    /** The side this direction writes to. */
    public String to() {
        return to;
    }

    /** The other direction of the same tunnel: the one that writes to the leg this one reads. */
    public Direction opposite() {
        return this == CLIENT_TO_PROXY ? PROXY_TO_CLIENT : CLIENT_TO_PROXY;
    }

    /** True for the direction that feeds the record's {@code bytes_up} counter, false for {@code bytes_down}. */
    public boolean up() {
        return this == CLIENT_TO_PROXY;
    }
}
