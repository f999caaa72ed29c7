package dev.sluice.upstream.auth;



/** The NegotiateFlags bits Sluice uses (MS-NLMP 2.2.2.5), and the set it asks for. */
final class NtlmFlags {
    static final int UNICODE = 0x00000001;
    static final int OEM = 0x00000002;
    static final int REQUEST_TARGET = 0x00000004;
    static final int NTLM = 0x00000200;
    static final int ALWAYS_SIGN = 0x00008000;
    static final int EXTENDED_SESSIONSECURITY = 0x00080000;
    static final int TARGET_INFO = 0x00800000;
    static final int BITS_128 = 0x20000000;
    static final int KEY_EXCH = 0x40000000;
    static final int BITS_56 = 0x80000000;

    /**
     * What the NEGOTIATE_MESSAGE asks for, 0xE0088207:
     * <ul>
     * <li>UNICODE and OEM: both string encodings offered, the server picks (Unicode when it can); a server that
     *     only knows OEM still answers.
     * <li>REQUEST_TARGET: asks the server to name its domain (TargetName). Sluice only bounds-checks the name (the
     *     account's domain is configured), but common clients ask for it and servers expect it.
     * <li>NTLM: NTLM rather than LM authentication. NTLMv2 has no flag of its own (MS-NLMP 3.3.2: the version is
     *     configured, not negotiated); Sluice sends only NTLMv2 responses whatever the server says.
     * <li>ALWAYS_SIGN: MS-NLMP 2.2.2.5 says it MUST be set in a NEGOTIATE_MESSAGE; without SIGN it costs nothing.
     * <li>EXTENDED_SESSIONSECURITY: changes nothing Sluice computes with NTLMv2 responses, but a server whose
     *     policy requires "NTLMv2 session security" refuses clients that do not offer it.
     * <li>128 and 56: the key strengths Sluice accepts (it only ever makes a 128-bit key); a server whose policy
     *     requires 128-bit keys refuses clients that do not offer 128.
     * <li>KEY_EXCH: the exported session key is a fresh random one, sent RC4-encrypted, not the key derived from
     *     the password; it keys the MIC.
     * </ul>
     * Not asked for: SIGN and SEAL (the CONNECT tunnel carries TLS, HTTP never signs with NTLM), LM_KEY and
     * DATAGRAM (weak or not for HTTP), VERSION (a Windows version number that Sluice would have to invent), and
     * OEM_DOMAIN_SUPPLIED / OEM_WORKSTATION_SUPPLIED: the NEGOTIATE_MESSAGE names no domain or workstation,
     * as modern clients do not, so the bytes are the same for every account.
     */
    static final int NEGOTIATE = UNICODE | OEM | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY
            | BITS_128 | KEY_EXCH | BITS_56;

    private NtlmFlags() {}
}
