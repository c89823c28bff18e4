package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
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
