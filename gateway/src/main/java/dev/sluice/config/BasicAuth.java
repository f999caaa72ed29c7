package dev.sluice.config;

import java.nio.file.Path;

/** Basic credentials; the password is read from a file, never written inline, and never shown. */
public record BasicAuth(String username, Path passwordFile, Secret password) {

    @Override
    public String toString() {
        return "BasicAuth[username=" + username + ", password_file=" + passwordFile + ", password=****]";
    }
}
