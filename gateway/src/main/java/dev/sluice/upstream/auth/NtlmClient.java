package dev.sluice.upstream.auth;

/** STUB until the ntlm branch lands. */
public final class NtlmClient {
    public NtlmClient(NtlmCredentials credentials) {
    }

    public byte[] negotiate() {
        return "NTLMSSP\0\1\0\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    public byte[] authenticate(byte[] challengeMessage) throws AuthException {
        if (challengeMessage.length < 12) {
            throw new AuthException("NTLM challenge: too short");
        }
        return "NTLMSSP\0\3\0\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
