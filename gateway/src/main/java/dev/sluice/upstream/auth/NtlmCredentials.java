package dev.sluice.upstream.auth;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_16LE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * An NTLM account: user, domain, workstation. The password is hashed at once and not kept: what this holds is the
 * NTLMv2 key NTOWFv2 (MS-NLMP 3.3.2), HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) + domain)), worked
 * out once here so that each authentication costs only a few HMACs. That key is password-equivalent for this
 * user and domain, so nothing prints it: {@link #toString()} names user, domain and workstation and masks the rest.
 */
public final class NtlmCredentials {
    /** A bound on each name, far above Windows' own (user 104, domain 255), that keeps messages small. */
    private static final int MAX_NAME = 1024;
    private static final int NETBIOS_NAME = 15;
    /** The indexes of {@link #name}, and what each holds, for messages. */
    static final int USER = 0;
    static final int DOMAIN = 1;
    static final int WORKSTATION = 2;
    static final String[] NAMES = {"user name", "domain", "workstation"};
    private static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

    private final String username;
    private final String domain;
    private final String workstation;
    private final String account;
    private final byte[] ntowfv2;
    private final byte[][] unicode;
    private final byte[][] oem;

    /**
     * @param domain the user's domain as the proxy's domain controller knows it; null or empty for none (then a
     *     user may still be given as {@code user@realm})
     * @param workstation the name sent as the client's workstation; null or blank for the local host name (the
     *     {@code HOSTNAME} variable, else the kernel's host name, else {@code SLUICE}), its first label cut to 15
     *     characters and upper-cased, as NetBIOS names are
     * @throws IllegalArgumentException for an empty user name or a name over 1024 characters
     */
    public NtlmCredentials(String username, String domain, String password, String workstation) {
        if (username == null || username.isBlank()) {
            throw new IllegalArgumentException("NTLM user name is empty");
        }
        Objects.requireNonNull(password, "password");
        this.username = username;
        this.domain = domain == null ? "" : domain;
        this.workstation = workstation == null || workstation.isBlank() ? localWorkstation() : workstation;
        this.account = this.domain.isEmpty() ? username : this.domain + "\\" + username;
        String[] names = {this.username, this.domain, this.workstation}; // in the order USER, DOMAIN, WORKSTATION
        unicode = new byte[names.length][];
        oem = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            if (names[i].length() > MAX_NAME) {
                throw new IllegalArgumentException("NTLM " + NAMES[i] + " over " + MAX_NAME + " characters");
            }
            unicode[i] = names[i].getBytes(UTF_16LE);
            oem[i] = US_ASCII.newEncoder().canEncode(names[i]) ? names[i].getBytes(US_ASCII) : null;
        }
        byte[] utf16Password = password.getBytes(UTF_16LE);
        byte[] ntHash = Md4.digest(utf16Password);
        ntowfv2 = NtlmCrypto.hmacMd5(ntHash, (upperCase(username) + this.domain).getBytes(UTF_16LE));
        Arrays.fill(utf16Password, (byte) 0);
        Arrays.fill(ntHash, (byte) 0);
    }

    public String username() {
        return username;
    }

    /** The domain, empty for none. */
    public String domain() {
        return domain;
    }

    public String workstation() {
        return workstation;
    }

    /** "DOMAIN\\user" (or "user" with no domain), for log lines. */
    public String account() {
        return account;
    }

    @Override
    public String toString() {
        return "NtlmCredentials[account=" + account + ", workstation=" + workstation + ", key=****]";
    }

    /** NTOWFv2, which is both ResponseKeyNT and ResponseKeyLM. The caller must not change it. */
    byte[] responseKey() {
        return ntowfv2;
    }

    /** {@link #USER}, {@link #DOMAIN} or {@link #WORKSTATION} as sent: UTF-16LE, or ASCII for OEM (null: not ASCII). */
    byte[] name(int index, boolean unicodeStrings) {
        return unicodeStrings ? unicode[index] : oem[index];
    }

    /**
     * Uppercase(User) of MS-NLMP: Windows maps each character on its own, so this is the simple (one to one)
     * Unicode mapping of each code point, not {@link String#toUpperCase} (which turns "ß" into "SS").
     */
    static String upperCase(String s) {
        StringBuilder upper = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> upper.appendCodePoint(Character.toUpperCase(cp)));
        return upper.toString();
    }

    private static String localWorkstation() {
        return workstationFrom(System.getenv("HOSTNAME"), KERNEL_HOSTNAME);
    }

    /** The host name without DNS: {@code hostnameVariable}, else the file's first line, else "SLUICE". */
    static String workstationFrom(String hostnameVariable, Path kernelHostname) {
        String name = hostnameVariable;
        if (name == null || name.isBlank()) {
            try {
                name = Files.readString(kernelHostname, US_ASCII);
            } catch (IOException e) {
                name = "";
            }
        }
        name = name.strip();
        int dot = name.indexOf('.');
        if (dot >= 0) {
            name = name.substring(0, dot);
        }
        if (name.length() > NETBIOS_NAME) {
            name = name.substring(0, NETBIOS_NAME);
        }
        return name.isEmpty() ? "SLUICE" : name.toUpperCase(Locale.ROOT);
    }
}
