package io.github.dlock;

import io.github.dlock.internal.ProviderLoader;
import java.util.List;
import java.util.Map;

/**
 * The entry point: a connection to one backing store that hands out named locks. The same
 * code runs on every backend; only the URL changes.
 *
 * <pre>{@code
 * try (LockProvider locks = LockProvider.open("file:///var/lock/myapp")) {
 *     DistributedLock lock = locks.lock("orders:42");
 *     try (LockHandle handle = lock.acquire(Duration.ofSeconds(5))) {
 *         process(order, handle.fencingToken());
 *     }                                   // released here
 *
 *     DistributedReadWriteLock cache = locks.readWriteLock("cache");
 *     try (LockHandle read = cache.readLock().acquire()) {
 *         serve(cache);
 *     }
 *
 *     DistributedSemaphore pool = locks.semaphore("db-pool", 5);
 *     pool.tryAcquire().ifPresent(permit -> { try (permit) { query(); } });
 * }
 * }</pre>
 *
 * <p>Providers are thread-safe; create one per store and share it. Lock objects are cheap
 * descriptions and may be created per use. A lock's name identifies it across processes;
 * mutexes, read-write locks and semaphores with the same name are independent of each
 * other. Names are 1 to 16,384 characters of any Unicode text.
 */
public interface LockProvider extends AutoCloseable {

    /**
     * Opens a provider for {@code url}, choosing the backend by the URL's scheme among the
     * {@link io.github.dlock.spi.LockProviderFactory} implementations on the class path.
     * Query parameters become options ({@code file:///tmp/locks?retry=fixed:10ms}).
     *
     * @param url the store's URL, e.g. {@code file:///var/lock/app},
     *     {@code redis://host:6379} or {@code jdbc:postgresql://host/db}
     * @return a new, open provider; close it when done
     * @throws IllegalArgumentException if the URL is malformed, its scheme has no backend on
     *     the class path (the message lists the schemes found), or an option is unknown or bad
     * @throws NullPointerException if {@code url} is null
     * @throws LockBackendException if the backing store cannot be reached or set up
     */
    static LockProvider open(String url) {
        return ProviderLoader.open(url, Map.of());
    }

    /**
     * As {@link #open(String)}, with options in addition to the URL's query parameters. An
     * option given both ways is rejected.
     *
     * @param url the store's URL, as for {@link #open(String)}
     * @param options option names and values, as they would appear (decoded) in the URL's query
     * @return a new, open provider; close it when done
     * @throws IllegalArgumentException if the URL is malformed, its scheme has no backend on
     *     the class path, an option is unknown or bad, or an option is given both in the URL and
     *     in {@code options}
     * @throws NullPointerException if {@code url}, {@code options}, or a name or value in it is
     *     null
     * @throws LockBackendException if the backing store cannot be reached or set up
     */
    static LockProvider open(String url, Map<String, String> options) {
        return ProviderLoader.open(url, options);
    }

    /**
     * The mutual-exclusion lock {@code name}.
     *
     * @param name the lock's name, shared by every process that uses the lock
     * @return a lock object for the name; nothing is acquired yet
     * @throws IllegalArgumentException if the name is blank, too long or malformed Unicode
     * @throws NullPointerException if the name is null
     * @throws IllegalStateException if the provider is closed
     */
    DistributedLock lock(String name);

    /**
     * The reader-writer lock {@code name}; validation as for {@link #lock(String)}.
     *
     * @param name the lock's name, shared by every process that uses the lock
     * @return a read-write lock object for the name
     * @throws IllegalArgumentException if the name is blank, too long or malformed Unicode
     * @throws NullPointerException if the name is null
     * @throws IllegalStateException if the provider is closed
     */
    DistributedReadWriteLock readWriteLock(String name);

    /**
     * The semaphore {@code name} with {@code permits} permits; all users of the name must
     * agree on the count.
     *
     * <p>The largest permit count differs per backend, because some take one OS lock or
     * advisory key per permit: file 65,536; PostgreSQL 1,024; Redis {@link Integer#MAX_VALUE}.
     *
     * @param name the semaphore's name, shared by every process that uses it
     * @param permits how many holders the semaphore admits at once
     * @return a semaphore object for the name
     * @throws IllegalArgumentException if {@code permits} is not positive or above the
     *     backend's limit (the message names it), or for a bad name
     * @throws NullPointerException if the name is null
     * @throws IllegalStateException if the provider is closed
     */
    DistributedSemaphore semaphore(String name, int permits);

    /**
     * Who holds {@code name} now, in any mode (mutex, read, write, permits), as far as the
     * backend can tell; empty if nobody does. A snapshot: it may be stale on return.
     *
     * @param name the lock's name
     * @return the current holders, in no particular order
     * @throws IllegalArgumentException if the name is blank, too long or malformed Unicode
     * @throws NullPointerException if the name is null
     * @throws IllegalStateException if the provider is closed
     * @throws LockBackendException if the backing store cannot be asked
     */
    List<LockHolder> holders(String name);

    /**
     * Installs {@code listener} to hear about the locks of this provider from now on:
     * acquisitions, releases, losses and lease renewals (see {@link LockListener} for which
     * events, on which threads). Listeners run synchronously where the event happens; one that
     * throws is logged and ignored, never breaking the lock operation. With no listener
     * installed, reporting costs nothing: no allocation and no clock read. The same listener
     * may be installed more than once (it then hears every event once per installation).
     *
     * @param listener the listener
     * @return the registration: close it to remove the listener
     * @throws NullPointerException if {@code listener} is null
     * @throws IllegalStateException if the provider is closed
     * @throws UnsupportedOperationException if this provider does not report events (the
     *     default, for providers other than dlock's file, Redis and PostgreSQL backends)
     */
    default LockListener.Registration listen(LockListener listener) {
        throw new UnsupportedOperationException(getClass().getName() + " does not report lock events");
    }

    /**
     * How many locks (and permits) are held through this provider now: acquired and not yet
     * released, by their handle or by {@link #close()}. A lost lock counts until its handle is
     * released. A snapshot, exact at some moment during the call; 0 once closed.
     *
     * @return the number of held locks, never negative
     * @throws UnsupportedOperationException if this provider cannot tell (the default, for
     *     providers other than dlock's own)
     */
    default int heldLockCount() {
        throw new UnsupportedOperationException(getClass().getName() + " does not count its held locks");
    }

    /**
     * The name of this provider's backend, as {@link LockListener} events report it:
     * {@code file}, {@code redis} (also over TLS) or {@code postgresql}.
     *
     * @return the backend's name, lower case
     * @throws UnsupportedOperationException if this provider does not name its backend (the
     *     default, for providers other than dlock's own)
     */
    default String backend() {
        throw new UnsupportedOperationException(getClass().getName() + " does not name its backend");
    }

    /**
     * Releases every lock still held through this provider and frees its resources.
     * Idempotent. Each handle released this way reports the loss first ({@link LockHandle#lost()}
     * completes, {@link LockHandle#isLost()} turns true): its holder did not release it and
     * may still be in its critical section, which nothing protects any more (no renewal, and
     * a release that fails leaves the lock to expire on the store). Pending and later calls
     * fail with {@link IllegalStateException}, waiting ones included.
     */
    @Override
    void close();
}
