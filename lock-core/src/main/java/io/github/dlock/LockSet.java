package io.github.dlock;

import io.github.dlock.internal.Arguments;
import io.github.dlock.internal.LockIdentity;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Several locks taken together, all or nothing:
 *
 * <pre>{@code
 * try (LockSet both = LockSet.acquireAll(Duration.ofSeconds(5), from, to)) {
 *     transfer(from, to);
 * }
 * }</pre>
 *
 * <p>Locks are always taken in one global order, whatever order the caller passes them in, so
 * two threads or processes locking overlapping sets cannot deadlock. The order compares, in
 * turn:
 * <ol>
 *   <li>the {@linkplain DistributedLock#name() name}, by {@link String#compareTo};
 *   <li>the {@linkplain DistributedLock#mode() mode}, in {@link LockMode} declaration order;
 *   <li>the description of the lock's provider (e.g. {@code file:///var/lock/app} or
 *       {@code redis://host:6379}; it names the store and carries no credentials), by
 *       {@link String#compareTo}: the same in every process that configures the store the
 *       same way;
 *   <li>for providers with equal descriptions, the order in which they were created in this
 *       JVM.
 * </ol>
 * The last step is the only one that depends on the process; it matters only when one set
 * holds locks of the same name and mode from two providers with the same description. Locks of
 * implementations other than dlock's own (which have no provider description) come after
 * dlock's among locks of equal name and mode, and among themselves keep the caller's order.
 *
 * <p>All of them share one deadline; if any cannot be taken in time, those already taken are
 * released before the exception propagates.
 */
public final class LockSet implements AutoCloseable {
    private static final Comparator<DistributedLock> ORDER = Comparator.comparing(DistributedLock::name)
            .thenComparing(DistributedLock::mode)
            .thenComparing(LockSet::compareProviders);

    private final List<LockHandle> handles;

    private LockSet(List<LockHandle> handles) {
        this.handles = Collections.unmodifiableList(handles);
    }

    /**
     * Acquires every lock within {@code timeout} in total.
     *
     * @param timeout the longest wait for all of them together
     * @param locks the locks to take, in any order; locks of different providers may be mixed
     * @return a set that holds every lock until it is released
     * @throws LockTimeoutException if some lock could not be taken in time; none is held then
     * @throws InterruptedException if interrupted while waiting; none is held then
     * @throws IllegalArgumentException if no locks are given, the timeout is negative, or one
     *     lock is given twice: two objects of the same provider, kind and name (both sides of
     *     one read-write lock count as one lock), which would otherwise wait for each other
     *     until the timeout; nothing is acquired then
     * @throws NullPointerException if {@code timeout}, {@code locks} or one of the locks is
     *     null
     * @throws LockBackendException if a backing store fails; none is held then
     * @throws IllegalStateException if a lock's provider is closed; none is held then
     */
    public static LockSet acquireAll(Duration timeout, DistributedLock... locks) throws InterruptedException {
        Objects.requireNonNull(locks, "locks");
        Deadline deadline = Deadline.after(timeout, Ticker.system());
        if (locks.length == 0) throw new IllegalArgumentException("locks must not be empty");
        Map<Object, Integer> seen = new HashMap<>();
        for (int i = 0; i < locks.length; i++) {
            Objects.requireNonNull(locks[i], "locks[" + i + "]");
            Object identity = locks[i] instanceof LockIdentity ? ((LockIdentity) locks[i]).lockIdentity() : new IdentityKey(locks[i]);
            Integer first = seen.putIfAbsent(identity, i);
            if (first != null) {
                throw new IllegalArgumentException("locks[" + first + "] and locks[" + i + "] are the same lock ("
                        + Arguments.describe(locks[i].name()) + ", same provider and kind): it is given twice, and would wait for itself");
            }
        }
        List<DistributedLock> ordered = new ArrayList<>(List.of(locks));
        ordered.sort(ORDER);
        List<LockHandle> taken = new ArrayList<>(ordered.size());
        try {
            for (DistributedLock lock : ordered) {
                taken.add(lock.acquire(Duration.ofNanos(deadline.remainingNanos())));
            }
            return new LockSet(taken);
        } catch (Throwable failure) {
            try {
                releaseAll(taken);
            } catch (RuntimeException giveBackFailed) {
                failure.addSuppressed(giveBackFailed); // why the set was not acquired comes first
            }
            throw failure;
        }
    }

    /**
     * The handles, in acquisition order.
     *
     * @return an unmodifiable list of one handle per lock, in the global order described above
     */
    public List<LockHandle> handles() {
        return handles;
    }

    /**
     * Releases every lock, in reverse acquisition order. Idempotent. Every handle is released
     * even if an earlier release fails.
     *
     * @throws LockBackendException if a store failed to release a lock that was not lost (the
     *     first failure is thrown, later ones are added to it as suppressed)
     * @throws IllegalStateException if a provider was closed while its lock was being released
     */
    public void release() {
        releaseAll(handles);
    }

    @Override
    public void close() {
        release();
    }

    /** Provider description, then creation order in this JVM; locks core does not know come last (a stable sort keeps their order). */
    private static int compareProviders(DistributedLock a, DistributedLock b) {
        if (!(a instanceof LockIdentity) || !(b instanceof LockIdentity)) {
            return Boolean.compare(!(a instanceof LockIdentity), !(b instanceof LockIdentity));
        }
        LockIdentity x = (LockIdentity) a;
        LockIdentity y = (LockIdentity) b;
        int byDescription = x.providerDescription().compareTo(y.providerDescription());
        return byDescription != 0 ? byDescription : Long.compare(x.providerSequence(), y.providerSequence());
    }

    /** Identity equality for lock implementations core does not know. */
    private static final class IdentityKey {
        private final Object lock;

        IdentityKey(Object lock) {
            this.lock = lock;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IdentityKey && ((IdentityKey) o).lock == lock;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(lock);
        }
    }

    private static void releaseAll(List<LockHandle> handles) {
        RuntimeException first = null;
        for (int i = handles.size() - 1; i >= 0; i--) {
            try {
                handles.get(i).release();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
