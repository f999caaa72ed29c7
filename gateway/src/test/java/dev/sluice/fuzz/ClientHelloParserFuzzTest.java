package dev.sluice.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.inbound.ClientHelloParser;
import dev.sluice.inbound.ClientHelloParser.State;
import dev.sluice.inbound.Hello;
import dev.sluice.session.ClientConnection;
import dev.sluice.session.Outcome;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link ClientHelloParser}, the first code that reads a stranger's bytes. The parser declares no exception:
 * every verdict is a {@link State}, so any throwable that escapes it (and any hang, see {@code @Timeout}) is a
 * finding. For every input it checks that
 * <ul>
 *   <li>the outcome (state, SNI, ALPN, error text, records, bytes taken) is the same whether the bytes come in one
 *       read or cut at up to seven points the fuzzer picks, and feeding more after a verdict changes nothing;</li>
 *   <li>it is bounded: it takes at most cap + 1 bytes, a verdict past the cap is {@code TOO_LARGE}, a hello it
 *       accepts fits in the cap, and one parse allocates at most {@link #allocationBound} bytes;</li>
 *   <li>with a smaller cap the outcome is the same or {@code TOO_LARGE}, and the same when the hello fits in it;</li>
 *   <li>what it returns is what its documentation promises: an SNI that is a DNS host name by its own rule, at
 *       most 8 ALPN names, each shown as escaped printable ASCII of at most 32 bytes, and an error text that is
 *       printable ASCII, safe to log;</li>
 *   <li>it never writes to the caller's bytes (the split reads are read-only buffers).</li>
 * </ul>
 *
 * <p>Input layout (Jazzer's {@link FuzzedDataProvider} takes numbers from the end, bytes from the front):
 * {@code wire bytes | cut (2 bytes, high byte last) x N | N (1 byte, mod 8) | small cap - 1 (2 bytes, high byte
 * last, mod 4096)}. The seeds in {@code ClientHelloParserFuzzTestInputs/parse/} are real clients' hellos in that
 * layout, written by {@code src/test/resources/hellos/fuzz-seeds.py}.
 */
class ClientHelloParserFuzzTest {
    /** The gateway's cap on a ClientHello, TLS record headers included (ClientConnection.MAX_HELLO_BYTES). */
    static final int CAP = 64 * 1024;
    /** The parser's own rule for a server name (its HOST pattern, 1-255 bytes). */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?");
    /** ALPN as documented: at most 8 names kept, each at most 32 bytes shown, escaped, plus a "...(N bytes)" note. */
    private static final int MAX_ALPN = 8;
    private static final int MAX_ALPN_TEXT = 32 * 4 + "...(255 bytes)".length();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What one parse concluded, everything a caller can observe. */
    record Outcome(State state, String sni, List<String> alpn, String error, int records, int consumed) {
    }

    @FuzzTest
    // Per input: in regression mode JUnit's limit (in its own thread, so a loop can't hold the build), with
    // JAZZER_FUZZ=1 libFuzzer's -timeout=10, so a hang is a finding (then run with timeout.mode=disabled, which
    // keeps JUnit from timing the whole fuzzing run as one invocation).
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void parse(FuzzedDataProvider data) {
        int smallCap = data.consumeInt(1, 4096);
        int[] cuts = new int[data.consumeInt(0, 7)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 0xffff);
        }
        byte[] wire = data.consumeRemainingAsBytes();
        byte[] original = wire.clone();

        Outcome big = checkedParse(wire, CAP, cuts);
        Outcome small = checkedParse(wire, smallCap, cuts);
        check(Arrays.equals(wire, original), "the parser changed the caller's bytes");

        check(small.state() == State.TOO_LARGE || small.equals(big),
                "cap " + smallCap + " gave " + small + " but cap " + CAP + " gave " + big);
        if (big.state() == State.DONE && big.consumed() <= smallCap) {
            check(small.equals(big), "a hello of " + big.consumed() + " bytes fits cap " + smallCap + " but gave "
                    + small + " instead of " + big);
        }
    }

    /** Parses {@code wire} whole and cut at {@code cuts}, checks both outcomes, returns the whole one. */
    private static Outcome checkedParse(byte[] wire, int cap, int[] cuts) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        Outcome whole = parse(wire, cap, new int[0]);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        if (allocated > allocationBound(cap)) { // the first run of a path loads and initialises classes: again
            before = THREADS.getCurrentThreadAllocatedBytes();
            parse(wire, cap, new int[0]);
            allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        }
        Outcome split = parse(wire, cap, cuts);
        check(whole.equals(split), "cut at " + Arrays.toString(positions(cuts, wire.length)) + " the outcome was "
                + split + " but in one read " + whole + " (cap " + cap + ")");
        checkSound(whole, wire.length, cap);
        check(allocated <= allocationBound(cap), "one parse with cap " + cap + " allocated " + allocated
                + " bytes, more than " + allocationBound(cap) + ": " + whole);
        return whole;
    }

    /**
     * The most one parse may allocate here: twice the cap (its buffer holds at most the cap and grows by doubling)
     * plus 128 KiB for the rest, loose because Jazzer's hooks allocate too (a throwaway exception with a deep stack,
     * a regular expression guided by the fuzzer...). It catches what matters: memory that grows with what an input
     * announces rather than with what it sends, or faster than the input. The tight bound, without the fuzzer, is
     * {@code ClientHelloParserBoundsTest}.
     */
    static long allocationBound(int cap) {
        return 2L * cap + 128 * 1024;
    }

    private static Outcome parse(byte[] wire, int cap, int[] cuts) {
        ClientHelloParser p = new ClientHelloParser(cap);
        int consumed = 0;
        int from = 0;
        State decided = null;
        for (int to : positions(cuts, wire.length)) {
            ByteBuffer in = ByteBuffer.wrap(wire, from, to - from).asReadOnlyBuffer();
            State s = p.feed(in);
            int taken = (to - from) - in.remaining();
            if (decided != null) {
                check(s == decided && taken == 0, "after " + decided + " feeding more gave " + s + " and took "
                        + taken + " bytes");
            } else if (s != State.NEED_MORE) {
                decided = s;
            }
            consumed += taken;
            from = to;
        }
        Hello h = p.hello();
        return new Outcome(p.state(), h == null ? null : h.sni(), h == null ? null : h.alpn(), p.error(),
                p.records(), consumed);
    }

    /** The cut points as ascending offsets into the wire bytes, ending with its length. */
    private static int[] positions(int[] cuts, int length) {
        int[] at = new int[cuts.length + 1];
        for (int i = 0; i < cuts.length; i++) {
            at[i] = cuts[i] % (length + 1);
        }
        at[cuts.length] = length;
        Arrays.sort(at);
        return at;
    }

    private static void checkSound(Outcome o, int offered, int cap) {
        check(o.state() != null, "no state");
        check(o.consumed() <= cap + 1, "took " + o.consumed() + " bytes with cap " + cap);
        if (o.consumed() > cap) {
            check(o.state() == State.TOO_LARGE, "took " + o.consumed() + " bytes with cap " + cap + " and said " + o);
        }
        switch (o.state()) {
            case NEED_MORE -> {
                check(o.consumed() == offered, "undecided after taking " + o.consumed() + " of " + offered + " bytes");
                check(o.error() == null && o.sni() == null && o.alpn() == null, "undecided with a result: " + o);
            }
            case DONE -> {
                check(o.consumed() <= cap, "accepted a hello of " + o.consumed() + " bytes with cap " + cap);
                check(o.records() >= 1 && o.error() == null && o.alpn() != null, "DONE but " + o);
                if (o.sni() != null) {
                    check(o.sni().length() >= 1 && o.sni().length() <= 255 && HOST.matcher(o.sni()).matches(),
                            "SNI is not a DNS host name: " + printable(o.sni()));
                }
                check(o.alpn().size() <= MAX_ALPN, o.alpn().size() + " ALPN names kept");
                for (String a : o.alpn()) {
                    check(a != null && !a.isEmpty() && a.length() <= MAX_ALPN_TEXT && isPrintableAscii(a),
                            "ALPN name not bounded, escaped text: " + printable(a));
                }
            }
            case NOT_TLS, MALFORMED, TOO_LARGE -> {
                check(o.error() != null && !o.error().isBlank() && isPrintableAscii(o.error()),
                        o.state() + " without a printable error: " + printable(o.error()));
                check(o.sni() == null && o.alpn() == null, "refused but returned a hello: " + o);
                if (o.state() == State.NOT_TLS) {
                    check(o.consumed() <= 2, "NOT_TLS is decided on the first two bytes, took " + o.consumed());
                }
            }
        }
    }

    private static boolean isPrintableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** For assertion messages: the text with anything unprintable escaped. */
    private static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return sb.toString();
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
