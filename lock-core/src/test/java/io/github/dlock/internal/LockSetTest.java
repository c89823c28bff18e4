package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockSet;
import io.github.dlock.LockTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link LockSet}: one global order, all or nothing, duplicates refused. */
class LockSetTest {

    @Test
    void theSameLockTwice_asTwoObjects_isRefusedAtOnce() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            long start = System.nanoTime();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LockSet.acquireAll(Duration.ofSeconds(5), backend.lock("a"), backend.lock("b"), backend.lock("a")));
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("twice"), e.getMessage());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos(), "waited for itself instead of refusing");
            assertThrows(IllegalArgumentException.class,
                    () -> LockSet.acquireAll(Duration.ofSeconds(5), backend.semaphore("s", 2), backend.semaphore("s", 2)));
            DistributedLock same = backend.lock("c");
            assertThrows(IllegalArgumentException.class, () -> LockSet.acquireAll(Duration.ofSeconds(5), same, same));
            assertEquals(0, backend.holders("a"), "nothing may be held after a refusal");
        }
    }

    @Test
    void aFailingGiveBack_doesNotHideWhyTheSetWasNotAcquired() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); io.github.dlock.LockHandle held = backend.lock("b").acquire()) {
            backend.failReleases = true;
            io.github.dlock.LockTimeoutException e = assertThrows(io.github.dlock.LockTimeoutException.class,
                    () -> LockSet.acquireAll(Duration.ofMillis(100), backend.lock("a"), backend.lock("b")));
            assertEquals(1, e.getSuppressed().length, "the give-back's failure should ride along as suppressed");
            assertTrue(e.getSuppressed()[0].getMessage().contains("failed to confirm"), e.getSuppressed()[0].getMessage());
            assertEquals(0, backend.holders("a"));
            backend.failReleases = false;
        }
    }

    @Test
    void sameNameInDifferentKindsOrProviders_isNoDuplicate() throws Exception {
        try (MemoryBackend one = new MemoryBackend(); MemoryBackend two = new MemoryBackend();
                LockSet set = LockSet.acquireAll(Duration.ofSeconds(5), one.lock("a"), one.semaphore("a", 2), two.lock("a"))) {
            assertEquals(3, set.handles().size());
        }
    }

    @Test
    void locksAreTakenInNameOrder_andReleasedInReverse() throws Exception {
        try (MemoryBackend backend = new MemoryBackend()) {
            LockSet set = LockSet.acquireAll(Duration.ofSeconds(5), backend.lock("c"), backend.lock("a"), backend.lock("b"));
            assertEquals(List.of("a", "b", "c"), set.handles().stream().map(LockHandle::name).collect(Collectors.toList()));
            set.close();
            set.close(); // idempotent
            assertTrue(set.handles().stream().allMatch(LockHandle::isReleased));
            assertEquals(3, backend.backendReleases.get());
        }
    }

    @Test
    void whenOneCannotBeTaken_theOthersAreReleased() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(); LockHandle c = backend.lock("c").acquire()) {
            assertThrows(LockTimeoutException.class,
                    () -> LockSet.acquireAll(Duration.ofMillis(200), backend.lock("a"), backend.lock("b"), backend.lock("c")));
            assertEquals(0, backend.holders("a"));
            assertEquals(0, backend.holders("b"));
        }
    }

    @Test
    void badArguments_areRefused() {
        try (MemoryBackend backend = new MemoryBackend()) {
            assertThrows(IllegalArgumentException.class, () -> LockSet.acquireAll(Duration.ofSeconds(1)));
            assertThrows(NullPointerException.class, () -> LockSet.acquireAll(Duration.ofSeconds(1), backend.lock("a"), null));
            assertThrows(IllegalArgumentException.class, () -> LockSet.acquireAll(Duration.ofSeconds(-1), backend.lock("a")));
            assertEquals(0, backend.holders("a"));
        }
    }
}
