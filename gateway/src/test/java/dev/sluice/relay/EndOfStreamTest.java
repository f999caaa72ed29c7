package dev.sluice.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.relay.EndOfStream.Act;
import dev.sluice.relay.EndOfStream.Decision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The end-of-stream rules, row by row and without sockets. Each row feeds {@link EndOfStream} a tunnel's events
 * and checks what the last one asks of its two legs ({@code self}: the leg the event's direction reads; {@code peer}:
 * the one it writes to) and what the access log would say: the outcome ({@code ok} when no verdict was given), the
 * first error and the note.
 *
 * <p>Events, separated by {@code ;} ({@code up} reads the client and writes upstream, {@code down} the reverse):
 * {@code up 517} (bytes copied), {@code fin down} (the upstream's FIN), {@code fin up spliced} (a FIN while that
 * direction is spliced), {@code round up 0 pipe-full} (a spliced read round: bytes moved, and whether the pipe to
 * the peer is empty), {@code lost down} (the upstream leg went away, not closed by the relay), {@code failed up why}
 * (an error on the client leg), {@code idle 2000}, {@code abandon} (the relay closes both, a leg was gone at
 * the join).
 */
class EndOfStreamTest {
    private static final String NOTE_31 = "upstream closed after its end of stream; the last 31 bytes for it (such as"
            + " a TLS close_notify) were not delivered";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # events                                          | self             | peer                  | outcome      | error                                                        | note
            # the ordered end: a FIN is passed on as a half-close; both ended, both close after a flush
            up 517; down 4000; fin up                         | NOTHING          | HALF_CLOSE            | ok           | -                                                            | -
            up 517; down 4000; fin up; fin down               | CLOSE_AFTER_FLUSH| CLOSE_AFTER_FLUSH     | ok           | -                                                            | -
            fin up; fin down; lost up                         | NOTHING          | NOTHING               | ok           | -                                                            | -
            # a reset: a leg gone before its FIN; the other leg is reset too
            up 517; down 4000; lost down                      | NOTHING          | RESET                 | reset        | upstream closed the connection abruptly                      | -
            lost up                                           | NOTHING          | RESET                 | reset        | client closed the connection abruptly                        | -
            fin up; lost down                                 | NOTHING          | RESET                 | reset        | upstream closed the connection abruptly                      | -
            failed up Connection reset by peer                | CLOSE            | RESET                 | reset        | client: Connection reset by peer                             | -
            # a lost leg: gone after its FIN while data still went to it; the other leg gets what is queued
            up 517; fin down; up 5000; lost down              | NOTHING          | CLOSE_AFTER_FLUSH     | reset        | upstream connection lost while client data was still going to it | -
            up 517; fin up; down 4000; lost up                | NOTHING          | CLOSE_AFTER_FLUSH     | reset        | client connection lost while upstream data was still going to it | -
            fin down; up 65; lost down                        | NOTHING          | CLOSE_AFTER_FLUSH     | reset        | upstream connection lost while client data was still going to it | -
            fin down; up 100; failed down Broken pipe         | CLOSE            | CLOSE_AFTER_FLUSH     | reset        | upstream: Broken pipe                                        | -
            # close_notify after FIN: up to 64 bytes left undelivered is the orderly end of TLS, noted
            up 517; down 4000; fin down; up 31; lost down     | NOTHING          | CLOSE_AFTER_FLUSH     | ok           | -                                                            | NOTE_31
            fin down; up 64; lost down                        | NOTHING          | CLOSE_AFTER_FLUSH     | ok           | -                                                            | upstream closed after its end of stream; the last 64 bytes for it (such as a TLS close_notify) were not delivered
            fin down; lost down                               | NOTHING          | CLOSE_AFTER_FLUSH     | ok           | -                                                            | -
            fin down; up 31; failed down Connection reset by peer | CLOSE        | CLOSE_AFTER_FLUSH     | ok           | -                                                            | NOTE_31
            # spliced: a FIN only announces the end; it comes with a round that moved nothing, the pipe empty
            fin up spliced                                    | NOTHING          | NOTHING               | ok           | -                                                            | -
            fin up spliced; round up 65536                    | NOTHING          | NOTHING               | ok           | -                                                            | -
            fin up spliced; round up 0 pipe-full              | STOP_READING     | FLUSH_THEN_READ_OTHER | ok           | -                                                            | -
            fin up spliced; round up 0 pipe-full; round up 0 pipe-empty | STOP_READING | HALF_CLOSE        | ok           | -                                                            | -
            fin down; fin up spliced; round up 0 pipe-empty   | CLOSE_AFTER_FLUSH| CLOSE_AFTER_FLUSH     | ok           | -                                                            | -
            fin up spliced; round up 0 pipe-empty; round up 0 pipe-empty | NOTHING | NOTHING             | ok           | -                                                            | -
            round up 0 pipe-empty                             | NOTHING          | NOTHING               | ok           | -                                                            | -
            up 517; fin down; round up 100000; lost down      | NOTHING          | CLOSE_AFTER_FLUSH     | reset        | upstream connection lost while client data was still going to it | -
            # the idle timeout closes both
            up 517; idle 2000                                 | CLOSE            | CLOSE                 | idle_timeout | no data in either direction for 2000 ms                      | -
            # the first cause is the one reported; once the relay closes both, a leg going away is no news
            idle 2000; failed up Connection reset by peer     | CLOSE            | RESET                 | idle_timeout | no data in either direction for 2000 ms                      | -
            idle 2000; lost down                              | NOTHING          | NOTHING               | idle_timeout | no data in either direction for 2000 ms                      | -
            lost down; failed up Connection reset by peer     | CLOSE            | RESET                 | reset        | upstream closed the connection abruptly                      | -
            abandon                                           | CLOSE            | CLOSE                 | ok           | -                                                            | -
            abandon; lost up                                  | NOTHING          | NOTHING               | ok           | -                                                            | -
            """)
    void decides(String events, Act self, Act peer, String outcome, String error, String note) {
        EndOfStream end = new EndOfStream();
        Decision last = null;
        Verdict first = null;
        String lastNote = null;
        for (String event : events.split(";")) {
            last = feed(end, event.trim().split(" ", 3));
            if (last.failed() != null) {
                assertThat(first).as("a verdict is given once, for the first cause").isNull();
                first = last.failed();
            }
            lastNote = last.note() != null ? last.note() : lastNote;
        }
        assertThat(last.self()).as("self").isEqualTo(self);
        assertThat(last.peer()).as("peer").isEqualTo(peer);
        assertThat(first == null ? "ok" : first.kind() == Verdict.Kind.RESET ? "reset" : "idle_timeout")
                .as("outcome").isEqualTo(outcome);
        assertThat(first == null ? null : first.error()).as("error").isEqualTo(error);
        assertThat(lastNote).as("note").isEqualTo("NOTE_31".equals(note) ? NOTE_31 : note);
    }

    private static Decision feed(EndOfStream end, String[] e) {
        switch (e[0]) {
            case "up", "down" -> {
                end.moved(direction(e[0]), Long.parseLong(e[1]));
                return Decision.NONE;
            }
            case "idle" -> {
                return end.idle(Long.parseLong(e[1]));
            }
            case "abandon" -> {
                return end.abandon();
            }
            default -> {
            }
        }
        Direction d = direction(e[1]);
        String rest = e.length > 2 ? e[2] : "";
        return switch (e[0]) {
            case "fin" -> end.fin(d, rest.equals("spliced"));
            case "round" -> end.splicedRound(d, Long.parseLong(rest.split(" ")[0]), !rest.endsWith("pipe-full"));
            case "lost" -> end.lost(d);
            case "failed" -> end.failed(d, rest);
            default -> throw new IllegalArgumentException("no such event: " + String.join(" ", e));
        };
    }

    private static Direction direction(String name) {
        return switch (name) {
            case "up" -> Direction.CLIENT_TO_PROXY;
            case "down" -> Direction.PROXY_TO_CLIENT;
            default -> throw new IllegalArgumentException("no direction: " + name);
        };
    }
}
