package dev.sluice.upstream.auth;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The two primitives NTLMv2 takes from the JDK: HMAC_MD5 and RC4 (MS-NLMP section 6). */
final class NtlmCrypto {
    private NtlmCrypto() {}

    /** HMAC_MD5(key, ConcatenationOf(parts)). */
    static byte[] hmacMd5(byte[] key, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key, "HmacMD5"));
            for (byte[] part : parts) {
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no HmacMD5", e);
        }
    }

    /** RC4K(key, data): RC4 keyed with {@code key}, applied once (it encrypts and decrypts alike). */
    static byte[] rc4(byte[] key, byte[] data) {
        try {
            Cipher rc4 = Cipher.getInstance("ARCFOUR");
            rc4.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ARCFOUR"));
            return rc4.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no RC4 (ARCFOUR)", e);
        }
    }
}
