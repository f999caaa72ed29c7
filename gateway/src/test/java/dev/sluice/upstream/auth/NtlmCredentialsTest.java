package dev.sluice.upstream.auth;

import static dev.sluice.upstream.auth.NtlmWire.hex;
import static dev.sluice.upstream.auth.NtlmWire.utf16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NtlmCredentialsTest {
    /** MS-NLMP 4.2.4.1.1, NTOWFv2("Password", "User", "Domain"). */
    private static final byte[] SPEC_RESPONSE_KEY = hex("0c868a403bfd7a93a3001ef22ef02e3f");

    @Test
    void printsAccountAndWorkstationButNeitherPasswordNorHashes() {
        String password = "Sup3r-S3cret!";
        NtlmCredentials credentials = new NtlmCredentials("alice", "CORP", password, "GW1");
        String ntHash = hex(Md4.digest(utf16(password)));
        String key = hex(credentials.responseKey());
        assertThat(credentials.toString())
                .isEqualTo("NtlmCredentials[account=CORP\\alice, workstation=GW1, key=****]")
                .doesNotContainIgnoringCase(password).doesNotContainIgnoringCase(ntHash)
                .doesNotContainIgnoringCase(key);
        assertThat(credentials.account()).isEqualTo("CORP\\alice");
        assertThat(new NtlmCredentials("alice@corp.example", null, password, "GW1").account())
                .isEqualTo("alice@corp.example");
    }

    @Test
    void theUserNamesCaseDoesNotChangeTheKeyButTheDomainsDoes() {
        assertThat(new NtlmCredentials("uSeR", "Domain", "Password", "W").responseKey()).isEqualTo(SPEC_RESPONSE_KEY);
        assertThat(new NtlmCredentials("User", "DOMAIN", "Password", "W").responseKey())
                .isNotEqualTo(SPEC_RESPONSE_KEY);
    }

    @ParameterizedTest(name = "HOSTNAME={0}, kernel says {1}: {2}")
    @CsvSource({
        "build-runner-0042.corp.example.com, other, BUILD-RUNNER-00",
        "gw1,                                other, GW1",
        "'',                                 egress-gateway-01.lan, EGRESS-GATEWAY-",
        "'',                                 '', SLUICE"})
    void theDefaultWorkstationIsTheHostsFirstLabelCutTo15Characters(String variable, String kernel, String expected,
            @TempDir Path dir) throws Exception {
        Path file = dir.resolve("hostname");
        if (!kernel.isEmpty()) {
            Files.writeString(file, kernel + "\n");
        }
        assertThat(NtlmCredentials.workstationFrom(variable, file)).isEqualTo(expected);
    }

    @Test
    void anEmptyUserOrAnOverlongNameIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> new NtlmCredentials(" ", "CORP", "p", "W"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("NTLM user name is empty");
        assertThatThrownBy(() -> new NtlmCredentials("u", "D".repeat(1025), "p", "W"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("NTLM domain over 1024 characters");
    }

    @Test
    void aBlankWorkstationBecomesTheLocalHostName() {
        assertThat(new NtlmCredentials("u", "d", "p", " ").workstation()).isNotBlank().hasSizeLessThanOrEqualTo(15);
    }
}
