package dev.sluice.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import javax.security.auth.Subject;
import org.junit.jupiter.api.Test;

/**
 * JGSS finds the login's tickets only in the Subject made current the way the running JDK reads it: Subject.callAs
 * from Java 18 on (doAs is deprecated for removal there), doAs on 17. The Kerberos tests prove the tickets are found;
 * this one that the newer API really is the one taken, and that failures come out as thrown.
 */
class SubjectCallsTest {
    @Test
    void usesCallAsWhereTheJdkHasIt() {
        assertThat(SubjectCalls.how())
                .isEqualTo(Runtime.version().feature() >= 18 ? "Subject.callAs" : "Subject.doAs");
    }

    @Test
    void returnsTheValueAndRethrowsWhatTheActionThrows() throws Exception {
        Subject subject = new Subject();
        assertThat(SubjectCalls.callAs(subject, () -> "made")).isEqualTo("made");

        IOException checked = new IOException("checked");
        assertThatThrownBy(() -> SubjectCalls.callAs(subject, () -> {
            throw checked;
        })).isSameAs(checked);
        IllegalStateException unchecked = new IllegalStateException("unchecked");
        assertThatThrownBy(() -> SubjectCalls.callAs(subject, () -> {
            throw unchecked;
        })).isSameAs(unchecked);
    }
}
