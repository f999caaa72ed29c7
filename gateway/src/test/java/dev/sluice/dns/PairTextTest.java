package dev.sluice.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.Cidr;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What one box of a pair answers the other for {@code /dns/names?since=TOKEN}, and reading it back. */
class PairTextTest {
    final AtomicLong now = new AtomicLong(1_796_300_000_000L);
    final SyntheticTable table = new SyntheticTable(Cidr.parse("198.18.0.0/15"), Cidr.parse("fdec:5c::/96"), 16, 1,
            now::get);
    final PairText text = new PairText(table);

    @Test
    void aFirstQuestionGetsEveryNameThenOnlyWhatChanged() throws IOException {
        table.assign("github.com", 60_000);
        table.assign("proxy.golang.org", 60_000);
        String first = text.answer("");
        assertThat(first.lines().toList()).hasSize(3);
        assertThat(first).matches("(?s)sluice-dns-pair 1 ipv4=198\\.18\\.0\\.0/15 ipv6=fdec:5c::/96 slots=16 half=1 "
                + "next=[0-9a-f]{16}\\.2 full\n0 1796300060000 github\\.com\n2 1796300060000 proxy\\.golang\\.org\n");
        PairText.Pulled p = PairText.read(first);
        assertThat(p.full()).isTrue();
        assertThat(p.half()).isEqualTo(1);
        assertThat(p.slots()).isEqualTo(16);
        assertThat(p.ranges()).isEqualTo(table.ranges());
        assertThat(p.names()).containsExactly(new SyntheticTable.Saved(0, "github.com", 1_796_300_060_000L),
                new SyntheticTable.Saved(2, "proxy.golang.org", 1_796_300_060_000L));

        PairText.Pulled nothing = PairText.read(text.answer(p.next()));
        assertThat(nothing.full()).isFalse();
        assertThat(nothing.names()).isEmpty();
        assertThat(nothing.next()).isEqualTo(p.next());

        now.addAndGet(5000);
        table.assign("github.com", 60_000);
        PairText.Pulled changed = PairText.read(text.answer(p.next()));
        assertThat(changed.full()).isFalse();
        assertThat(changed.names()).containsExactly(new SyntheticTable.Saved(0, "github.com", 1_796_300_065_000L));
    }

    @Test
    void aTokenOfAnotherRunOrFromTheFutureGetsAFullCopy() throws IOException {
        table.assign("github.com", 60_000);
        String next = PairText.read(text.answer("")).next();
        PairText restarted = new PairText(table); // the same names, another run
        assertThat(PairText.read(restarted.answer(next)).full()).isTrue();
        String epoch = next.substring(0, next.indexOf('.'));
        assertThat(PairText.read(text.answer(epoch + ".999")).full()).isTrue();
        assertThat(PairText.read(text.answer(epoch + ".x")).full()).isTrue();
        assertThat(PairText.read(text.answer("garbage")).names()).hasSize(1);
    }

    @Test
    void whatIsNotAnAnswerIsRefusedNamingTheLine() {
        assertThatThrownBy(() -> PairText.read("<html>login</html>\n")).isInstanceOf(IOException.class)
                .hasMessage("not a Sluice name table answer: '<html>login</html>'");
        assertThatThrownBy(() -> PairText.read("sluice-dns-pair 1 ipv4=a ipv6=b slots=16 half=1 next=x.1 full\n"
                + "0 12 good.test\n1 12 BAD NAME\n")).hasMessage("line 3: not SLOT EXPIRES NAME");
        assertThatThrownBy(() -> PairText.read("sluice-dns-pair 1 ipv4=a ipv6=b\n"))
                .hasMessage("line 1: not IPV4 IPV6 slots=N half=H next=TOKEN full|changes");
    }
}
