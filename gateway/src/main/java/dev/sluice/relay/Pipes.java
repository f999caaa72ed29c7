package dev.sluice.relay;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Larger pipes for {@link Splice}: a spliced direction moves at most a pipe's capacity per pair of splice(2)
 * calls, and Linux's default of 64 KiB makes a bulk transfer cost twice the kernel time per byte that 1 MiB does
 * (and fifteen times the calls). Netty makes its pipe on the first splice into a channel; this class gives the
 * channel a pipe first, enlarged with {@code fcntl(F_SETPIPE_SZ)} through JNA (neither Netty nor Java 17 can
 * call it), in the field where Netty looks for it; Netty closes it with the channel.
 *
 * <p>Bounded: every pipe's capacity counts against the user's {@code fs.pipe-user-pages-soft} (64 MiB by
 * default), and past it the kernel gives every new pipe two pages, which would slow every later splice. So at most
 * {@link #maxLarge} large pipes are alive at once, half that budget and never more than 64 (64 MiB of kernel
 * memory at worst); past that, and wherever something here is not available, Netty's own pipe is used, as before.
 * {@code -Dsluice.splice.pipe=BYTES} sets the size (0: Netty's pipes only).
 */
final class Pipes {
    private static final Logger LOG = LoggerFactory.getLogger(Pipes.class);
    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;
    private static final int PAGE = 4096;
    static final int WANTED = Integer.getInteger("sluice.splice.pipe", 1 << 20);

    private static final AtomicInteger alive = new AtomicInteger();
    private static volatile Loaded loaded; // null until loaded, and when it cannot be
    private static volatile boolean failureLogged;

    /** What is needed, once loaded: libc's fcntl and Netty's pipe fields. */
    private record Loaded(Libc libc, Field pipeIn, Field pipeOut, int size, int maxLarge) {
    }

    /** libc, through JNA's interface mapping (fcntl is variadic). */
    interface Libc extends Library {
        int fcntl(int fd, int cmd, Object... args) throws LastErrorException;
    }

    private Pipes() {
    }

    /**
     * Loads JNA and finds Netty's fields off the event loops (the first load unpacks JNA's native library): until it
     * is done, splices use Netty's pipes.
     */
    static void loadInBackground() {
        if (WANTED > 0 && Splice.ENABLED && loaded == null) {
            CompletableFuture.runAsync(Pipes::load);
        }
    }

    private static void load() {
        try {
            Field in = AbstractEpollStreamChannel.class.getDeclaredField("pipeIn");
            Field out = AbstractEpollStreamChannel.class.getDeclaredField("pipeOut");
            in.setAccessible(true);
            out.setAccessible(true);
            if (System.getProperty("jna.tmpdir") == null) {
                // JNA unpacks its library into ~/.cache by default: the service has no home (ProtectHome)
                System.setProperty("jna.tmpdir", System.getProperty("java.io.tmpdir"));
            }
            Libc libc = com.sun.jna.Native.load("c", Libc.class);
            int size = Math.min(WANTED, (int) Math.min(Integer.MAX_VALUE, sysctl("pipe-max-size", 1 << 20)));
            long soft = sysctl("pipe-user-pages-soft", 16384);
            int pages = Math.max(1, size / PAGE);
            int maxLarge = (int) Math.min(64, soft == 0 ? 64 : soft / 2 / pages);
            loaded = new Loaded(libc, in, out, size, maxLarge);
            LOG.debug("splice pipes: {} bytes, at most {} at once", size, maxLarge);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.info("splice pipes stay at the kernel's default size: {}", e.toString());
        }
    }

    /**
     * /proc/sys/fs/NAME as a number, or {@code dflt} when it cannot be read. Read as a stream: Files.readString
     * trusts the size /proc reports (0) and returns one byte.
     */
    private static long sysctl(String name, long dflt) {
        try (InputStream in = new FileInputStream("/proc/sys/fs/" + name)) {
            return Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return dflt;
        }
    }

    /**
     * Gives {@code to} (which a splice is about to write into) a large pipe when it has none yet and the budget
     * allows. Returns the capacity of the pipe it gave, or 0 when Netty will make its own.
     */
    static int enlarge(Channel to) {
        Loaded n = loaded;
        if (n == null || !(to instanceof AbstractEpollStreamChannel)) {
            return 0;
        }
        if (alive.incrementAndGet() > n.maxLarge()) {
            alive.decrementAndGet();
            return 0;
        }
        FileDescriptor[] pipe = null;
        try {
            if (n.pipeOut().get(to) != null) {
                alive.decrementAndGet();
                return 0;
            }
            pipe = FileDescriptor.pipe();
            n.libc().fcntl(pipe[1].intValue(), F_SETPIPE_SZ, n.size());
            n.pipeIn().set(to, pipe[0]);
            n.pipeOut().set(to, pipe[1]); // Netty closes both with the channel
            to.closeFuture().addListener(f -> alive.decrementAndGet());
            return n.size();
        } catch (IOException | IllegalAccessException | LastErrorException e) {
            alive.decrementAndGet();
            closeQuietly(pipe);
            if (!failureLogged) {
                failureLogged = true;
                LOG.info("a splice pipe stays at the kernel's default size: {} (logged once)", e.getMessage());
            }
            return 0;
        }
    }

    /** The capacity of the pipe into {@code to}, or 0 when it has none (yet): for tests and diagnostics. */
    static int capacity(Channel to) throws IllegalAccessException {
        Loaded n = loaded;
        if (n == null) {
            return 0;
        }
        FileDescriptor out = (FileDescriptor) n.pipeOut().get(to);
        return out == null || !out.isOpen() ? 0 : n.libc().fcntl(out.intValue(), F_GETPIPE_SZ);
    }

    /** Large pipes alive now. */
    static int alive() {
        return alive.get();
    }

    static boolean loaded() {
        return loaded != null;
    }

    private static void closeQuietly(FileDescriptor[] pipe) {
        if (pipe != null) {
            for (FileDescriptor fd : pipe) {
                try {
                    fd.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }
}
