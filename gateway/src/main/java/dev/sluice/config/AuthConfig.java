package dev.sluice.config;

import java.nio.file.Path;

/** Basic credentials for the proxies of one upstream; the password is read from a file, never written inline. */
public record AuthConfig(String username, Path passwordFile, Secret password) {

    @Override
    public String toString() {
        return "AuthConfig[username=" + username + ", password_file=" + passwordFile + ", password=****]";
    }
}
