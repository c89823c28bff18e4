package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.testkit.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial review probes for issue 12 (file backend), through the public API, kept as
 * regression tests (these held; the hard-link swap race the review also found is described in
 * the README's file-backend section).
 */
class FileReviewProbesTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path temp;


    /** A FIFO at the lock path is refused at once with a message naming the path (it must not hang or read it). */
    @Test
    void fifoAtALockPath_isRefusedPromptly() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        Process mk = new ProcessBuilder("mkfifo", root.resolve("pipe.lock").toString(), root.resolve("pipe.sem").toString()).start();
        assertEquals(0, mk.waitFor());
        try (LockProvider locks = FileLockProvider.builder().directory(root).build()) {
            CompletableFuture<String> outcome = CompletableFuture.supplyAsync(() -> {
                List<String> r = new ArrayList<>();
                for (DistributedLock l : List.of(locks.lock("pipe"), locks.semaphore("pipe", 2))) {
                    try {
                        l.tryAcquire().ifPresent(LockHandle::release);
                        r.add("acquired");
                    } catch (LockBackendException e) {
                        r.add(e.getMessage().contains("pipe") ? "refused" : "refused without naming the file: " + e.getMessage());
                    }
                }
                try {
                    locks.holders("pipe");
                    r.add("holders ok");
                } catch (LockBackendException e) {
                    r.add("holders refused");
                }
                return String.join(",", r);
            });
            assertEquals("refused,refused,holders refused", outcome.get(30, TimeUnit.SECONDS));
        }
    }

    /**
     * Storm on a read-write lock and a mutex: other threads acquire, release, read holders() and
     * cancel acquireAsync under constant interrupts, also while their acquisitions succeed
     * (interrupts landing during token/record I/O and release). The untouched reader and mutex
     * holder must keep their OS locks: another process stays excluded.
     */
    @Test
    void interruptStorm_withSuccessfulAcquisitions_neverDropsAnotherThreadsReadOrMutexLock() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        String url = root.toUri().toString();
        try (LockProvider locks = FileLockProvider.builder().directory(root).retryStrategy(RetryStrategy.fixed(Duration.ofMillis(1))).build()) {
            DistributedReadWriteLock rw = locks.readWriteLock("rw");
            LockHandle reader = rw.readLock().acquire(PATIENCE);
            LockHandle mutex = locks.lock("m").acquire(PATIENCE);
            ConcurrentLinkedQueue<Throwable> wrong = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger successes = new AtomicInteger();
            List<Thread> victims = new ArrayList<>();
            victims.add(new Thread(() -> { // readers that succeed (shared) and release, interrupted throughout
                while (!stop.get()) {
                    try {
                        LockHandle h = rw.readLock().acquire(PATIENCE);
                        successes.incrementAndGet();
                        h.release();
                    } catch (InterruptedException e) {
                        // right
                    } catch (Throwable t) {
                        wrong.add(t);
                    }
                }
            }));
            victims.add(new Thread(() -> { // a writer that waits behind the untouched reader (holds the turnstile while waiting)
                while (!stop.get()) {
                    try {
                        rw.writeLock().acquire(PATIENCE).release();
                        wrong.add(new AssertionError("writer got in while a reader held the lock"));
                    } catch (InterruptedException e) {
                        // right
                    } catch (Throwable t) {
                        wrong.add(t);
                    }
                }
            }));
            victims.add(new Thread(() -> { // mutex waiters
                while (!stop.get()) {
                    try {
                        locks.lock("m").acquire(PATIENCE).release();
                        wrong.add(new AssertionError("mutex acquired twice"));
                    } catch (InterruptedException e) {
                        // right
                    } catch (Throwable t) {
                        wrong.add(t);
                    }
                }
            }));
            victims.add(new Thread(() -> { // holders() with the interrupt set
                while (!stop.get()) {
                    try {
                        Thread.currentThread().interrupt();
                        locks.holders("rw");
                        locks.holders("m");
                    } catch (Throwable t) {
                        wrong.add(t);
                    } finally {
                        Thread.interrupted();
                    }
                }
            }));
            victims.add(new Thread(() -> { // other mutex names: successful acquire/release, interrupted anywhere
                for (int i = 0; !stop.get(); i++) {
                    try {
                        locks.lock("other" + (i % 4)).acquire(PATIENCE).release();
                        successes.incrementAndGet();
                    } catch (InterruptedException e) {
                        // right
                    } catch (Throwable t) {
                        wrong.add(t);
                    }
                }
            }));
            for (Thread t : victims) t.start();
            long stormEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            for (int round = 0; System.nanoTime() < stormEnd; round++) { // plus cancelled async writers and readers
                CompletableFuture<LockHandle> f = (round % 2 == 0 ? rw.writeLock() : locks.lock("m")).acquireAsync(PATIENCE);
                long end = System.nanoTime() + (round % 20) * 50_000L;
                while (System.nanoTime() < end) for (Thread t : victims) t.interrupt();
                f.cancel(true);
                for (Thread t : victims) t.interrupt();
            }
            stop.set(true);
            for (Thread t : victims) {
                t.interrupt();
                t.join(PATIENCE.toMillis());
            }
            assertEquals(List.of(), wrong.stream().map(String::valueOf).collect(Collectors.toList()),
                    "interrupted callers must get InterruptedException and nothing else");
            assertTrue(successes.get() > 0, "no acquisition succeeded during the storm");
            assertFalse(reader.isLost() || mutex.isLost(), "a held lock was reported lost");
            try (ChildJvm w = ChildJvm.start("probe", url, "rw", "write"); ChildJvm m = ChildJvm.start("probe", url, "m", "exclusive")) {
                w.awaitLine("BLOCKED", PATIENCE);
                m.awaitLine("BLOCKED", PATIENCE);
            }
            reader.release();
            mutex.release();
        }
    }

    /**
     * lost() callbacks: one blocks forever, one throws, one closes the provider from inside
     * the callback. The others must still run, close() from a callback must not hang, and
     * after it nothing may be held (another provider gets every lock).
     */
    @Test
    void lostCallbacks_blockingThrowingAndClosingTheProvider() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        LockProvider locks = FileLockProvider.builder().directory(root).build();
        LockHandle blocker = locks.lock("a").acquire(PATIENCE);
        LockHandle thrower = locks.lock("b").acquire(PATIENCE);
        LockHandle closer = locks.lock("c").acquire(PATIENCE);
        LockHandle bystander = locks.lock("d").acquire(PATIENCE);
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        blocker.lost().thenRun(() -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        thrower.lost().thenRun(() -> {
            throw new IllegalStateException("callback failure");
        });
        closer.lost().thenRun(() -> {
            locks.close();
            closed.countDown();
        });
        Files.delete(root.resolve("a.lock"));
        Files.delete(root.resolve("b.lock"));
        Files.delete(root.resolve("c.lock"));
        assertTrue(closed.await(30, TimeUnit.SECONDS), "close() from inside a lost() callback did not return");
        assertTrue(bystander.isReleased(), "close() from a callback did not release the other handle");
        try (LockProvider other = FileLockProvider.builder().directory(root).build()) {
            for (String n : List.of("a", "b", "c", "d")) assertTrue(other.lock(n).tryAcquire(Duration.ofSeconds(5)).isPresent(), n + " still held");
        }
        never.countDown();
    }

    /**
     * close() of one provider while its writer waits (holding the turnstile) behind a reader of
     * another provider on the same directory in this JVM: the closed writer must leave nothing
     * behind, so new readers of the other provider are admitted and its writer can go later.
     */
    @Test
    void close_whileAWriterWaits_leavesTheOtherProviderUsable() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        try (LockProvider one = FileLockProvider.builder().directory(root).build()) {
            LockProvider two = FileLockProvider.builder().directory(root).build();
            LockHandle r = one.readWriteLock("rw").readLock().acquire(PATIENCE);
            CompletableFuture<LockHandle> writer = two.readWriteLock("rw").writeLock().acquireAsync(PATIENCE);
            CountDownLatch waiting = new CountDownLatch(1);
            Thread syncWriter = new Thread(() -> {
                waiting.countDown();
                try {
                    two.readWriteLock("rw").writeLock().acquire(PATIENCE).release();
                } catch (Exception e) {
                    // expected: closed
                }
            });
            syncWriter.start();
            waiting.await();
            long until = System.nanoTime() + PATIENCE.toNanos();
            // once a writer waits, new local readers queue behind it
            while (one.readWriteLock("rw").readLock().tryAcquire().map(h -> {
                h.release();
                return true;
            }).orElse(false) && System.nanoTime() < until) LockSupport.parkNanos(1_000_000);
            long start = System.nanoTime();
            two.close();
            syncWriter.join(5000);
            assertFalse(syncWriter.isAlive(), "close() did not wake the waiting writer");
            assertTrue(writer.isCompletedExceptionally());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            Optional<LockHandle> r2 = one.readWriteLock("rw").readLock().tryAcquire(Duration.ofSeconds(5));
            assertTrue(r2.isPresent(), "a closed provider's waiting writer still blocks readers of another provider");
            r2.get().release();
            r.release();
            Optional<LockHandle> w = one.readWriteLock("rw").writeLock().tryAcquire(Duration.ofSeconds(5));
            assertTrue(w.isPresent(), "the writer of the surviving provider cannot get in");
            w.get().release();
        }
    }

    /** Hostile names: all inside the directory, pairwise distinct files (NFC vs NFD too), usable. */
    @Test
    void hostileNames_stayInside_andStayDistinct() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        String e = "\u00e9";
        List<String> names = List.of("..", ".", "/", "../../etc/passwd", "a/b", "a\u0000b", "a\u0000", "\u0000", "a\\b", "~", "-",
                Normalizer.normalize(e, Normalizer.Form.NFC), Normalizer.normalize(e, Normalizer.Form.NFD), "\u212b", "\u00c5", "A\u030a",
                "x".repeat(16_384), "x".repeat(16_383) + "y", "\ud83d\udd12", "CON", "nul", "A", "a", ".hidden", "a.", "a..");
        List<LockHandle> held = new ArrayList<>();
        try (LockProvider locks = FileLockProvider.builder().directory(root).build()) {
            for (String n : names) held.add(locks.lock(n).tryAcquire().orElseThrow(() -> new AssertionError("not free: " + n.length())));
            Set<Path> files;
            try (Stream<Path> s = Files.list(root)) {
                files = s.collect(Collectors.toCollection(HashSet::new));
            }
            assertEquals(names.size(), files.size(), "names collided or escaped: " + files);
            try (Stream<Path> s = Files.walk(temp)) {
                assertEquals(names.size(), s.filter(Files::isRegularFile).count(), "a file appeared outside the lock directory");
            }
            for (LockHandle h : held) h.release();
        }
    }
}
