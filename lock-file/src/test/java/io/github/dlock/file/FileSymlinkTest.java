package io.github.dlock.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security: whoever can write to the lock directory (for the CLI's default, anybody, under the
 * shared temporary directory) must not be able to make a lock operation touch a file outside
 * it. Links and other non-regular files at a lock file's path are refused, never followed.
 */
class FileSymlinkTest {
    @TempDir
    Path temp;

    @Test
    void symlinkPlantedAtALockFilesPath_isRefused_andItsTargetStaysByteIdentical() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        Path outside = temp.resolve("precious.txt");
        byte[] original = "0123456789 precious data that must not change\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(outside, original);
        Files.createSymbolicLink(root.resolve("report.lock"), outside);
        Files.createSymbolicLink(root.resolve("report.rwlock"), outside);
        Files.createSymbolicLink(root.resolve("report.sem"), outside);
        Files.createSymbolicLink(root.resolve("dangling.lock"), temp.resolve("created-through-a-link"));
        try (LockProvider locks = FileLockProvider.builder().directory(root).build()) {
            assertRefused(() -> locks.lock("report").tryAcquire());
            assertRefused(() -> locks.lock("report").acquire());
            assertRefused(() -> locks.readWriteLock("report").writeLock().tryAcquire());
            assertRefused(() -> locks.readWriteLock("report").readLock().tryAcquire());
            assertRefused(() -> locks.semaphore("report", 3).tryAcquire());
            assertRefused(() -> locks.holders("report"));
            assertRefused(() -> locks.lock("dangling").tryAcquire());
        }
        assertArrayEquals(original, Files.readAllBytes(outside), "a lock operation wrote through a symlink");
        assertTrue(Files.notExists(temp.resolve("created-through-a-link")), "a lock operation created a file through a dangling symlink");
    }

    @Test
    void hardLinkOrDirectoryAtALockFilesPath_isRefused() throws Exception {
        Path root = Files.createDirectories(temp.resolve("locks"));
        Path outside = temp.resolve("precious.txt");
        byte[] original = "precious".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(outside, original);
        Files.createLink(root.resolve("linked.lock"), outside);
        Files.createDirectory(root.resolve("dir.lock"));
        try (LockProvider locks = FileLockProvider.builder().directory(root).build()) {
            assertRefused(() -> locks.lock("linked").tryAcquire());
            assertRefused(() -> locks.lock("dir").tryAcquire());
        }
        assertArrayEquals(original, Files.readAllBytes(outside), "a lock operation wrote through a hard link");
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable call) {
        LockBackendException e = assertThrows(LockBackendException.class, call);
        assertTrue(e.getMessage().contains("not a regular file") || e.getMessage().contains("link"),
                "the message must say why: " + e.getMessage());
    }
}
