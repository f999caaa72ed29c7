package dev.sluice.upstream;

import dev.sluice.config.AuthConfig;
import dev.sluice.config.Secret;

/** Basic credentials for the proxies of one upstream. The password never shows in {@code toString}. */
public final class ProxyAuth {
    private final String username;
    private final Secret password;

    private ProxyAuth(String username, Secret password) {
        this.username = username;
        this.password = password;
    }

    public static ProxyAuth of(AuthConfig config) {
        return config == null ? null : new ProxyAuth(config.username(), config.password());
    }

    public String username() {
        return username;
    }

    /** Only for the handshake with the proxy. */
    String password() {
        return password.reveal();
    }

    @Override
    public String toString() {
        return "ProxyAuth[basic, username=" + username + ", password=****]";
    }
}
