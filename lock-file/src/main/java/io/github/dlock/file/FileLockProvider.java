package io.github.dlock.file;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHolder;
import io.github.dlock.LockListener;
import io.github.dlock.LockProvider;
import io.github.dlock.RetryStrategy;
import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.OwnerIds;
import io.github.dlock.internal.ProviderRuntime;
import io.github.dlock.spi.Ticker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Locks on a directory shared by the processes that use it (local disk, or a network file
 * system whose byte-range locks are reliable). Needs no server.
 *
 * <pre>{@code
 * try (LockProvider locks = FileLockProvider.builder().directory(Path.of("/var/lock/myapp")).build()) {
 *     try (LockHandle h = locks.lock("nightly-report").acquire(Duration.ofMinutes(1))) { ... }
 * }
 * }</pre>
 *
 * <p>Guarantees: mutual exclusion between threads and processes, including processes that
 * die holding a lock (the OS releases their locks at once). Each lock name maps to one file
 * ({@code NAME.lock}, {@code NAME.rwlock} or {@code NAME.sem}, encoded by a scheme that can
 * never leave the directory); the file holds the fencing counter and holder records. Locks
 * have no lease: they are held until released, the handle is garbage-collected, or the
 * process exits. Waiting for a lock held by another process polls with the
 * {@link RetryStrategy}; waiting for one held in this JVM wakes at once. Processes waiting for
 * a mutex or a semaphore take turns in the order they began to wait, through a queue kept in
 * the lock file: while another process has the turn, a waiting acquire leaves a free lock to it
 * (a semaphore leaves it one free permit), unless it leaves the lock untaken for twice the
 * retry strategy's longest pause, at least 1 s. Only waits take turns: {@code tryAcquire()}
 * (a zero timeout) takes a free lock whoever waits, so a stopped waiting process never makes
 * it fail.
 *
 * <p>Lock files must not be deleted while any process may use them: a process holding a
 * deleted file's lock excludes nobody (this library detects the replacement on acquire and
 * reports held handles as lost, but cannot stop the overlap).
 */
public final class FileLockProvider implements LockProvider {
    private final Path directory;
    private final String ownerId;
    private final RetryStrategy retryStrategy;
    private final ProviderRuntime runtime;

    private FileLockProvider(Builder b) throws IOException {
        Files.createDirectories(b.directory);
        this.directory = b.directory.toRealPath();
        this.ownerId = b.ownerId != null ? b.ownerId : OwnerIds.generate();
        this.retryStrategy = b.retryStrategy != null ? b.retryStrategy : RetryStrategy.defaultStrategy();
        this.runtime = new ProviderRuntime("file", directory.toUri().toString(), b.ticker);
    }

    /**
     * Starts configuring a provider.
     *
     * @return a new builder; set at least {@link Builder#directory(Path)}
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public DistributedLock lock(String name) {
        return runtime.lock(name, n -> new FileMutex(this, n));
    }

    @Override
    public DistributedReadWriteLock readWriteLock(String name) {
        return runtime.readWriteLock(name, n -> new FileReadWriteLock.Read(this, n), n -> new FileReadWriteLock.Write(this, n));
    }

    @Override
    public DistributedSemaphore semaphore(String name, int permits) {
        return runtime.semaphore(name, permits, (n, p) -> new FileSemaphore(this, n, p), this::holders);
    }

    @Override
    public List<LockHolder> holders(String name) {
        Arguments.requireName(name, "name");
        runtime.ensureOpen();
        List<LockHolder> holders = new ArrayList<>();
        for (String suffix : List.of(FileMutex.SUFFIX, FileReadWriteLock.SUFFIX, FileSemaphore.SUFFIX)) {
            Path path = pathFor(name, suffix);
            if (!Files.exists(path)) continue;
            LockFileTable table = table();
            LockFile file;
            try {
                file = table.acquire(path);
            } catch (IOException e) {
                throw new LockBackendException("cannot open lock file " + path + ": " + e.getMessage(), e);
            }
            try {
                holders.addAll(file.holders());
            } finally {
                table.release(file);
            }
        }
        return holders;
    }

    @Override
    public LockListener.Registration listen(LockListener listener) {
        return runtime.listen(listener);
    }

    @Override
    public int heldLockCount() {
        return runtime.heldCount();
    }

    @Override
    public String backend() {
        return runtime.backend();
    }

    /**
     * The lock directory (real path).
     *
     * @return the directory's real path, with symbolic links resolved as they were when the
     *     provider was built
     */
    public Path directory() {
        return directory;
    }

    /**
     * The owner id written into holder records of locks taken through this provider.
     *
     * @return the id set with {@link Builder#ownerId(String)}, or the generated
     *     {@code host:pid:uuid}
     */
    public String ownerId() {
        return ownerId;
    }

    @Override
    public void close() {
        try {
            runtime.close();
        } finally {
            table().closeIdleUnder(directory);
        }
    }

    @Override
    public String toString() {
        return "FileLockProvider{" + directory + "}";
    }

    Path pathFor(String name, String suffix) {
        Path path = directory.resolve(LockFileNames.encode(name) + suffix);
        if (!directory.equals(path.getParent())) throw new IllegalStateException("bug: lock file outside the directory: " + path);
        return path;
    }

    RetryStrategy retryStrategy() {
        return retryStrategy;
    }

    LockFileTable table() {
        return LockFileTable.JVM_WIDE;
    }

    /** Configures a {@link FileLockProvider}; every setter may be called once. */
    public static final class Builder {
        private Path directory;
        private String ownerId;
        private RetryStrategy retryStrategy;
        private Ticker ticker = Ticker.system();
        private boolean tickerSet;

        private Builder() {}

        /**
         * The lock directory, created if absent. Required.
         *
         * @param directory the directory; a relative path is resolved against the current
         *     working directory now
         * @return this builder
         * @throws NullPointerException if {@code directory} is null
         * @throws IllegalStateException if the directory was already set
         */
        public Builder directory(Path directory) {
            requireUnset(this.directory, "directory");
            this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
            return this;
        }

        /**
         * The owner id shown by {@link LockProvider#holders}; default {@code host:pid:uuid}.
         *
         * @param ownerId the id: not blank, at most 200 characters, no control characters
         * @return this builder
         * @throws IllegalArgumentException if {@code ownerId} is blank, too long or contains a
         *     control character
         * @throws NullPointerException if {@code ownerId} is null
         * @throws IllegalStateException if the owner id was already set
         */
        public Builder ownerId(String ownerId) {
            requireUnset(this.ownerId, "ownerId");
            this.ownerId = Arguments.requirePrintable(ownerId, "ownerId", 200);
            return this;
        }

        /**
         * Pauses between polls for locks held by other processes; default exponential 1 ms to 50 ms.
         *
         * @param retryStrategy the strategy; an attempt limit makes waits give up after that many
         *     failed attempts
         * @return this builder
         * @throws NullPointerException if {@code retryStrategy} is null
         * @throws IllegalStateException if the retry strategy was already set
         */
        public Builder retryStrategy(RetryStrategy retryStrategy) {
            requireUnset(this.retryStrategy, "retryStrategy");
            this.retryStrategy = Objects.requireNonNull(retryStrategy, "retryStrategy");
            return this;
        }

        /**
         * The clock for deadlines; for tests.
         *
         * @param ticker the clock; default {@link Ticker#system()}
         * @return this builder
         * @throws NullPointerException if {@code ticker} is null
         * @throws IllegalStateException if the ticker was already set
         */
        public Builder ticker(Ticker ticker) {
            if (tickerSet) throw new IllegalStateException("ticker was already set");
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            tickerSet = true;
            return this;
        }

        /**
         * Creates the directory if absent and opens a provider on it.
         *
         * @return a new, open provider
         * @throws IllegalStateException if no directory was set
         * @throws LockBackendException if the directory cannot be created or resolved
         */
        public FileLockProvider build() {
            if (directory == null) throw new IllegalStateException("directory is required");
            try {
                return new FileLockProvider(this);
            } catch (IOException e) {
                throw new LockBackendException("cannot use lock directory " + directory + ": " + e, e);
            }
        }

        private static void requireUnset(Object current, String what) {
            if (current != null) throw new IllegalStateException(what + " was already set to " + current);
        }
    }
}
