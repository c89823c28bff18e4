package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.HostileNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the file backend promises: confinement to its directory, file handling, URLs. */
class FileLockProviderTest {
    @TempDir
    Path temp;

    @Test
    void hostileNames_createFilesOnlyDirectlyInsideTheDirectory() throws Exception {
        Path root = Files.createDirectories(temp.resolve("root"));
        try (LockProvider locks = FileLockProvider.builder().directory(root).build()) {
            for (String name : HostileNames.all()) {
                locks.lock(name).tryAcquire().orElseThrow().release();
                locks.readWriteLock(name).writeLock().tryAcquire().orElseThrow().release();
                locks.semaphore(name, 2).tryAcquire().orElseThrow().release();
            }
        }
        try (Stream<Path> everything = Files.walk(temp)) {
            Set<Path> outside = everything.filter(p -> !p.equals(temp) && !p.equals(root) && !root.equals(p.getParent()))
                    .collect(Collectors.toSet());
            assertEquals(Set.of(), outside, "files created outside the lock directory");
        }
        try (Stream<Path> files = Files.list(root)) {
            assertEquals(HostileNames.all().size() * 3, files.count());
        }
    }

    @Test
    void lockFiles_areNeverDeleted_byRelease() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            locks.lock("kept").tryAcquire().orElseThrow().release();
            assertTrue(Files.exists(temp.resolve("kept.lock")));
        }
    }

    @Test
    void manyThreadsOfSeveralProvidersInOneJvm_neverSeeOverlappingFileLockException() throws Exception {
        List<LockProvider> providers = List.of(open(), open(), open());
        ExecutorService pool = Executors.newFixedThreadPool(9);
        int[] counter = {0};
        try {
            List<Future<?>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 9; t++) {
                LockProvider p = providers.get(t % 3);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        try (LockHandle h = p.lock("shared").acquire(Duration.ofSeconds(20));
                                LockHandle s = p.semaphore("shared", 2).acquire(Duration.ofSeconds(20));
                                LockHandle r = p.readWriteLock("shared").readLock().acquire(Duration.ofSeconds(20))) {
                            counter[0]++;
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) f.get(2, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
            providers.forEach(LockProvider::close);
        }
        assertEquals(360, counter[0]);
        assertEquals(0, LockFileTable.JVM_WIDE.openFilesUnder(temp), "lock files left open after every lock was released");
    }

    @Test
    void lockFileReplacedWhileInUse_isDetectedByTheNextAcquire_whichRetriesOnTheNewFile() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            DistributedSemaphore sem = locks.semaphore("replaced", 2);
            LockHandle first = sem.acquire();
            Path file = temp.resolve("replaced.sem");
            Files.delete(file);
            Files.createFile(file); // a careless clean-up: the first permit no longer excludes anybody
            try (LockHandle second = sem.acquire(Duration.ofSeconds(20))) {
                assertTrue(first.isLost(), "the holder on the replaced file must be told its lock is gone");
                assertFalse(second.isLost());
                assertEquals(1, locks.holders("replaced").size(), "only the holder on the current file counts");
            }
            first.release(); // releasing a lost handle does not throw
        }
    }

    @Test
    void lockFileDeletedWhileHeld_completesLostWithinTheWatchdogInterval() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            LockHandle held = locks.lock("doomed").acquire();
            java.util.concurrent.CompletableFuture<Void> lost = held.lost().toCompletableFuture();
            Files.delete(temp.resolve("doomed.lock"));
            lost.get(20, TimeUnit.SECONDS);
            assertTrue(held.isLost());
            held.release();
            locks.lock("doomed").tryAcquire().orElseThrow().release();
        }
    }

    @Test
    void aBlockingLostCallback_doesNotStopTheWatchdogFromReportingOtherLosses() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            LockHandle first = locks.lock("first").acquire();
            java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
            first.lost().thenRun(() -> {
                try {
                    unblock.await(); // blocks, as the CLI's own callback may for 10 s
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                Files.delete(temp.resolve("first.lock"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!first.isLost()) {
                    assertTrue(System.nanoTime() < deadline, "the deletion of first.lock was never noticed");
                    Thread.sleep(20);
                }
                LockHandle second = locks.lock("second").acquire();
                Files.delete(temp.resolve("second.lock"));
                second.lost().toCompletableFuture().get(20, TimeUnit.SECONDS); // TimeoutException if the watchdog is stuck in first's callback
                second.release();
            } finally {
                unblock.countDown();
            }
            first.release();
        }
    }

    @Test
    void aWaiterInThisJvm_isWoken_whenTheHolderLosesItsLock() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            for (String kind : List.of("mutex", "write", "permit")) {
                java.util.function.Supplier<io.github.dlock.DistributedLock> lock = () -> kind.equals("mutex") ? locks.lock("doomed-" + kind)
                        : kind.equals("write") ? locks.readWriteLock("doomed-" + kind).writeLock() : locks.semaphore("doomed-" + kind, 1);
                LockHandle holder = lock.get().acquire();
                java.util.concurrent.CompletableFuture<LockHandle> waiter = new java.util.concurrent.CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        waiter.complete(lock.get().acquire(Duration.ofSeconds(15)));
                    } catch (Throwable e) {
                        waiter.completeExceptionally(e);
                    }
                });
                t.start();
                String file = "doomed-" + kind + (kind.equals("mutex") ? ".lock" : kind.equals("write") ? ".rwlock" : ".sem");
                Files.delete(temp.resolve(file)); // the holder's lock no longer excludes anybody
                holder.lost().toCompletableFuture().get(20, TimeUnit.SECONDS);
                LockHandle woken = waiter.get(20, TimeUnit.SECONDS); // LockTimeoutException if the waiter kept polling the dead file
                assertFalse(woken.isLost(), kind);
                woken.release();
                holder.release();
            }
        }
    }

    /**
     * Taking turns between processes ({@link FileTurns}) has bounds: the queue place of a waiting
     * process that was killed is ignored (and cleared), and one that stopped (SIGSTOP) holds up the
     * others only for the yield limit (1 s with the default retry strategy), not for as long as it
     * stays stopped.
     */
    @Test
    void aWaitingProcessThatIsKilledOrStopped_doesNotKeepTheLockFromOthers() throws Exception {
        try (FileLockProvider locks = FileLockProvider.builder().directory(temp).build()) {
            Path file = locks.directory().resolve("turns.lock");
            for (String fate : List.of("killed", "stopped")) {
                LockHandle held = locks.lock("turns").acquire();
                try (io.github.dlock.testkit.ChildJvm child = io.github.dlock.testkit.ChildJvm.start("hold", temp.toUri().toString(), "turns", "exclusive")) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (queuedTickets(file) == 0) { // the child waits, with a place in the queue
                        assertTrue(System.nanoTime() < deadline, "the child never queued:\n" + child.output());
                        Thread.sleep(10);
                    }
                    if (fate.equals("killed")) child.kill();
                    else signal("STOP", child.pid());
                    try {
                        held.release();
                        long start = System.nanoTime();
                        LockHandle next = locks.lock("turns").tryAcquire(Duration.ofSeconds(20))
                                .orElseThrow(() -> new AssertionError("a " + fate + " waiting process kept the lock from this one"));
                        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                        if (fate.equals("killed")) {
                            assertEquals(0, queuedTickets(file), "the killed process's place was not cleared");
                        } else {
                            assertTrue(tookMs >= 500, "did not yield to the process ahead in the queue at all (" + tookMs + " ms)");
                        }
                        next.release();
                    } finally {
                        if (fate.equals("stopped")) signal("CONT", child.pid());
                    }
                    if (fate.equals("stopped")) child.awaitLine("HELD", Duration.ofSeconds(60)); // it goes on when resumed
                }
            }
        }
    }

    /** How many places of the file's queue hold a ticket. */
    private static long queuedTickets(Path file) throws Exception {
        LockFile f = LockFileTable.JVM_WIDE.acquire(file); // never a second channel: closing it would drop this JVM's locks
        try {
            return java.util.Arrays.stream(f.readPlaces(LockFile.placesScratch())).filter(t -> t != 0).count();
        } finally {
            LockFileTable.JVM_WIDE.release(f);
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }

    /** A holder record is written without padding its slot: a shorter one after a longer one must read back whole. */
    @Test
    void holders_aShortRecordAfterALongerOneInTheSameSlot_readsBackAsTheShortOne() throws Exception {
        try (LockProvider longOwner = LockProvider.open(temp.toUri() + "?owner=" + "a-rather-long-owner-id-".repeat(8));
                LockProvider shortOwner = LockProvider.open(temp.toUri() + "?owner=w1")) {
            longOwner.lock("slot").acquire().release();
            try (LockHandle h = shortOwner.lock("slot").acquire()) {
                List<LockHolder> holders = shortOwner.holders("slot");
                assertEquals(1, holders.size(), holders.toString());
                assertEquals("w1", holders.get(0).ownerId());
            }
        }
    }

    @Test
    void openByUrl_withOptions() throws Exception {
        try (LockProvider locks = LockProvider.open(temp.toUri() + "?owner=worker-7&retry=fixed:5ms&maxAttempts=3")) {
            assertTrue(locks instanceof FileLockProvider);
            assertEquals("worker-7", ((FileLockProvider) locks).ownerId());
            try (LockHandle h = locks.lock("x").acquire()) {
                assertEquals("worker-7", locks.holders("x").get(0).ownerId());
            }
        }
    }

    @Test
    void badUrls_andOptions_failWithClearMessages() {
        assertMessage("absolute", () -> LockProvider.open("file:relative/dir"));
        assertMessage("host", () -> LockProvider.open("file://somehost/dir"));
        assertMessage("unknown option [colour]", () -> LockProvider.open(temp.toUri() + "?colour=blue"));
        assertMessage("known options", () -> LockProvider.open(temp.toUri() + "?colour=blue"));
        assertMessage("retry", () -> LockProvider.open(temp.toUri() + "?retry=sometimes"));
        assertMessage("maxAttempts", () -> LockProvider.open(temp.toUri() + "?maxAttempts=0"));
        assertMessage("owner", () -> LockProvider.open(temp.toUri() + "?owner="));
        assertMessage("given both", () -> LockProvider.open(temp.toUri() + "?owner=a", Map.of("owner", "b")));
    }

    @Test
    void builder_rejectsMissingAndRepeatedSettings() {
        assertThrows(IllegalStateException.class, () -> FileLockProvider.builder().build());
        assertThrows(IllegalStateException.class, () -> FileLockProvider.builder().directory(temp).directory(temp));
        assertThrows(NullPointerException.class, () -> FileLockProvider.builder().directory(null));
        assertThrows(IllegalArgumentException.class, () -> FileLockProvider.builder().ownerId("a\nb"));
        try (FileLockProvider p = FileLockProvider.builder().directory(temp).build()) {
            assertThrows(IllegalArgumentException.class, () -> p.semaphore("x", FileSemaphore.MAX_PERMITS + 1));
        }
    }

    @Test
    void maxAttempts_makesAWaitGiveUpEarly() throws Exception {
        try (LockProvider a = open(); LockProvider b = LockProvider.open(temp.toUri() + "?retry=fixed:1ms&maxAttempts=2");
                LockHandle held = a.lock("x").acquire()) {
            io.github.dlock.LockTimeoutException e = assertThrows(io.github.dlock.LockTimeoutException.class,
                    () -> b.lock("x").acquire(Duration.ofMinutes(5)));
            assertTrue(e.getMessage().contains("attempt limit"), e.getMessage());
        }
    }

    private LockProvider open() {
        return FileLockProvider.builder().directory(temp).build();
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
