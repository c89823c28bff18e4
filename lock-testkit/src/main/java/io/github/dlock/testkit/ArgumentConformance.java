package io.github.dlock.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input fails fast with a message naming the argument; odd but valid names just work. */
public abstract class ArgumentConformance extends ConformanceTestBase {

    @Test
    void nullNames_areRejectedNamingTheArgument() {
        assertMessage(NullPointerException.class, "name", () -> provider.lock(null));
        assertMessage(NullPointerException.class, "name", () -> provider.readWriteLock(null));
        assertMessage(NullPointerException.class, "name", () -> provider.semaphore(null, 2));
        assertMessage(NullPointerException.class, "name", () -> provider.holders(null));
    }

    @Test
    void blankNames_areRejected() {
        for (String blank : List.of("", " ", "\t\n")) {
            assertMessage(IllegalArgumentException.class, "name", () -> provider.lock(blank));
            assertMessage(IllegalArgumentException.class, "name", () -> provider.readWriteLock(blank));
            assertMessage(IllegalArgumentException.class, "name", () -> provider.semaphore(blank, 1));
            assertMessage(IllegalArgumentException.class, "name", () -> provider.holders(blank));
        }
    }

    @Test
    void oversizedNames_areRejected() {
        String huge = "n".repeat(64 * 1024);
        assertMessage(IllegalArgumentException.class, "name", () -> provider.lock(huge));
        assertMessage(IllegalArgumentException.class, "name", () -> provider.semaphore(huge, 1));
    }

    @Test
    void malformedUnicodeNames_areRejected() {
        assertMessage(IllegalArgumentException.class, "name", () -> provider.lock("half \uD83D surrogate"));
    }

    @Test
    void nonPositivePermits_areRejected() {
        assertMessage(IllegalArgumentException.class, "permits", () -> provider.semaphore(name("s"), 0));
        assertMessage(IllegalArgumentException.class, "permits", () -> provider.semaphore(name("s"), -1));
    }

    @Test
    void negativeOrNullTimeouts_areRejected() {
        DistributedLock lock = provider.lock(name("x"));
        Duration negative = Duration.ofMillis(-1);
        assertMessage(IllegalArgumentException.class, "timeout", () -> lock.acquire(negative));
        assertMessage(IllegalArgumentException.class, "timeout", () -> lock.tryAcquire(negative));
        assertMessage(IllegalArgumentException.class, "timeout", () -> lock.acquireAsync(negative));
        assertMessage(NullPointerException.class, "timeout", () -> lock.acquire(null));
        assertMessage(NullPointerException.class, "timeout", () -> lock.tryAcquire(null));
    }

    @Test
    void hostileNames_work_andEachIsADistinctLock() throws Exception {
        List<LockHandle> held = new ArrayList<>();
        try {
            for (String n : HostileNames.all()) {
                DistributedLock lock = provider.lock(n);
                held.add(lock.tryAcquire().orElseThrow(() -> new AssertionError("name collided with another: " + describe(n))));
                assertEquals(1, provider.holders(n).size(), describe(n));
            }
        } finally {
            for (LockHandle h : held) h.release();
        }
        for (String n : HostileNames.all()) assertEquals(List.of(), provider.holders(n), describe(n));
    }

    private static String describe(String n) {
        return n.length() > 40 ? n.substring(0, 40) + "... (" + n.length() + " chars)" : n;
    }

    private static void assertMessage(Class<? extends Throwable> type, String argument, Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage() != null && t.getMessage().contains(argument),
                "message should name '" + argument + "': " + t.getMessage());
    }
}
