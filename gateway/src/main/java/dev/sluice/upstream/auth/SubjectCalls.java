package dev.sluice.upstream.auth;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import javax.security.auth.Subject;

/**
 * Runs code with a {@link Subject} as the current one, so that JGSS finds its tickets (and stores the service tickets
 * it gets in it). Java 18 added {@code Subject.callAs}, which newer JDKs' JGSS reads through {@code Subject.current()};
 * {@code Subject.doAs} is deprecated for removal there. Sluice is built for Java 17, which has only {@code doAs}, so
 * {@code callAs} is looked up once and called through a method handle when the running JDK has it.
 */
final class SubjectCalls {
    private static final MethodHandle CALL_AS = callAs();

    private SubjectCalls() {
    }

    /** Runs {@code action} as {@code subject}; what it throws comes out unwrapped. */
    @SuppressWarnings("unchecked")
    static <T> T callAs(Subject subject, Callable<T> action) throws Exception {
        if (CALL_AS == null) {
            return doAs(subject, action);
        }
        try {
            return (T) (Object) CALL_AS.invokeExact(subject, action);
        } catch (CompletionException e) {
            throw unwrapped(e.getCause() == null ? e : e.getCause());
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Which of the two the running JDK uses, for a debug line. */
    static String how() {
        return CALL_AS == null ? "Subject.doAs" : "Subject.callAs";
    }

    @SuppressWarnings("removal")
    private static <T> T doAs(Subject subject, Callable<T> action) throws Exception {
        try {
            return Subject.doAs(subject, (PrivilegedExceptionAction<T>) action::call);
        } catch (PrivilegedActionException e) {
            throw e.getException();
        }
    }

    private static Exception unwrapped(Throwable cause) {
        if (cause instanceof Error error) {
            throw error;
        }
        return cause instanceof Exception e ? e : new IllegalStateException(cause);
    }

    private static MethodHandle callAs() {
        try {
            return MethodHandles.publicLookup().findStatic(Subject.class, "callAs",
                            MethodType.methodType(Object.class, Subject.class, Callable.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }
}
