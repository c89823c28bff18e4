package io.github.dlock;

import io.github.dlock.internal.Arguments;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
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
 * <p>Locks are always taken in one global order (by name, then mode), whatever order the
 * caller passes them in, so two processes locking overlapping sets cannot deadlock. All of
 * them share one deadline; if any cannot be taken in time, those already taken are released
 * before the exception propagates.
 */
public final class LockSet implements AutoCloseable {
    private static final Comparator<DistributedLock> ORDER =
            Comparator.comparing(DistributedLock::name).thenComparing(DistributedLock::mode);

    private final List<LockHandle> handles;

    private LockSet(List<LockHandle> handles) {
        this.handles = Collections.unmodifiableList(handles);
    }

    /**
     * Acquires every lock within {@code timeout} in total.
     *
     * @throws LockTimeoutException if some lock could not be taken in time; none is held then
     * @throws InterruptedException if interrupted while waiting; none is held then
     * @throws IllegalArgumentException if no locks are given, one is given twice, or the
     *     timeout is negative
     */
    public static LockSet acquireAll(Duration timeout, DistributedLock... locks) throws InterruptedException {
        Objects.requireNonNull(locks, "locks");
        Deadline deadline = Deadline.after(timeout, Ticker.system());
        if (locks.length == 0) throw new IllegalArgumentException("locks must not be empty");
        Map<DistributedLock, Boolean> seen = new IdentityHashMap<>();
        for (int i = 0; i < locks.length; i++) {
            Objects.requireNonNull(locks[i], "locks[" + i + "]");
            if (seen.put(locks[i], Boolean.TRUE) != null) {
                throw new IllegalArgumentException("locks[" + i + "] (" + Arguments.describe(locks[i].name()) + ") is given twice");
            }
        }
        List<DistributedLock> ordered = new ArrayList<>(List.of(locks));
        ordered.sort(ORDER);
        List<LockHandle> taken = new ArrayList<>(ordered.size());
        boolean complete = false;
        try {
            for (DistributedLock lock : ordered) {
                taken.add(lock.acquire(Duration.ofNanos(deadline.remainingNanos())));
            }
            complete = true;
            return new LockSet(taken);
        } finally {
            if (!complete) releaseAll(taken);
        }
    }

    /** The handles, in acquisition order. */
    public List<LockHandle> handles() {
        return handles;
    }

    /** Releases every lock, in reverse acquisition order. Idempotent. */
    public void release() {
        releaseAll(handles);
    }

    @Override
    public void close() {
        release();
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
