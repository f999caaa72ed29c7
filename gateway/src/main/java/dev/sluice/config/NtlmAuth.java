package dev.sluice.config;

import java.nio.file.Path;

/**
 * NTLMv2 credentials: a Windows account ({@code domain} may be empty for a local account), its password from a
 * file, and the workstation name to send (null: the host name, cut to 15 characters).
 */
public record NtlmAuth(String username, String domain, Path passwordFile, Secret password, String workstation) {

    /** {@code DOMAIN\\user}, or {@code user} without a domain. */
    public String account() {
        return domain.isEmpty() ? username : domain + "\\" + username;
    }

    @Override
    public String toString() {
        return "NtlmAuth[account=" + account() + ", password_file=" + passwordFile + ", password=****]";
    }
}
