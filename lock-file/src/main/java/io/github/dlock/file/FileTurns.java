package io.github.dlock.file;

import java.nio.ByteBuffer;
import java.nio.channels.FileLock;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fairness between processes for one lock file (mutex and semaphore): processes waiting for it
 * take turns in the order they began to wait.
 *
 * <p>Why. A release in this JVM wakes this JVM's waiters at once, while other processes only
 * find out by polling; so a JVM whose threads keep asking would hand the lock from thread to
 * thread and another process would seldom find it free.
 *
 * <p>Protocol. Each process with waiters for the file holds one place in a queue kept in the
 * file ({@link LockFile}'s layout): a place is a ticket drawn from a counter in the file, and it
 * counts only while the process holds the place's liveness lock (so the places of killed
 * processes are ignored, and cleared by whoever finds them). A process takes the lock only
 * while no live place of another process is ahead of its own (ahead of it at all, if it has
 * none); a semaphore may still take a permit if it leaves another free for the one ahead. Having
 * taken it, a process that still has waiters draws a new ticket, to the back of the queue, and
 * one without waiters leaves its place. So processes alternate under contention, and a process
 * alone keeps the immediate hand-over between its threads. One waiter per process (the poller)
 * polls at the retry strategy's first pause while its process is first or second in the queue
 * and another process waits too, so a turn passes to another process within about that pause;
 * those extra polls neither advance the strategy's backoff nor count against its attempt
 * limit ({@link io.github.dlock.internal.AcquireLoop}). A process waiting alone keeps the strategy's
 * backoff.
 *
 * <p>Only waits take turns. An immediate attempt ({@code tryAcquire()}, a zero timeout) never
 * yields to the queue: it takes a free lock (or permit) whoever waits, so a waiting process that
 * stopped (SIGSTOP, a debugger) cannot make occasional attempts of others fail for as long as it
 * is stopped; it only gives a waiting process's turn to the attempt that found the lock free.
 *
 * <p>Bounds. A process ahead that leaves a free lock untaken for the yield limit (stopped,
 * hung, or polling far more slowly) is passed over until its ticket changes. At most
 * {@value LockFile#MAX_PLACES} processes hold places; one that finds none waits without,
 * yielding to every process that has one. Exclusion never depends on any of this: it comes from
 * the lock bytes alone. A place read while being written, or the I/O of the queue failing,
 * only changes who goes first (failures are logged at debug level and the attempt goes on
 * without yielding). Nothing here waits: a ticket is drawn under the counter's lock only if it
 * can be had at once or within {@value LockFile#TICKET_TRY_NANOS} ns (a process stopped while
 * holding it would otherwise hang every wait); without a ticket a process leaves or does not
 * take its place, and tries again at its next attempt.
 *
 * <p>One per {@link LockFile} in a JVM; its state is guarded by a {@link ReentrantLock} (the
 * steps do I/O), taken inside the kind's own attempt lock, never the other way round.
 */
final class FileTurns {
    private static final Logger LOG = LoggerFactory.getLogger(FileTurns.class);

    /** One waiting acquisition of this JVM. */
    static final class Waiter {}

    private final ReentrantLock lock = new ReentrantLock();
    private final ByteBuffer scratch = LockFile.placesScratch(); // guarded by lock
    private int waiters; // acquisitions of this JVM waiting for the file; guarded by lock
    private int place = -1; // this JVM's place in the queue, -1 without one
    private long ticket;
    private FileLock placeLock;
    private Waiter poller; // the waiter that polls at the first pause near the front
    private int ahead; // live places of other processes ahead of ours at the last look
    private int others; // live places of other processes at the last look
    private int frontPlace = -1; // the place ahead that we last yielded to, and its ticket
    private long frontTicket;
    private long yieldingSince; // when we first left a free lock to that place in a row; 0 if not
    private int passedPlace = -1; // a place that left a free lock untaken too long, passed over until its ticket changes
    private long passedTicket;
    private boolean retakePlace; // a ticket could not be drawn: take a place at the next attempt

    /**
     * Whether an attempt must yield to another process, whose live place is ahead of this JVM's
     * (ahead at all, if this JVM has none): a mutex must not take the lock now, a semaphore must
     * leave a free permit besides the one it takes. Follow with {@link #yielded} when true.
     */
    boolean mustYield(LockFile file) {
        lock.lock();
        try {
            if (retakePlace && place < 0 && waiters > 0) takePlace(file);
            long[] tickets = file.readPlaces(scratch);
            int live = 0;
            int count = 0;
            int front = -1;
            long lowest = Long.MAX_VALUE;
            for (int k = 0; k < tickets.length; k++) {
                long t = tickets[k];
                if (k == place || t == 0 || !isLive(file, k)) continue;
                live++;
                if (place >= 0 && t >= ticket) continue; // behind us
                count++;
                if (t < lowest) {
                    lowest = t;
                    front = k;
                }
            }
            others = live;
            ahead = count;
            if (front < 0 || (front == passedPlace && lowest == passedTicket)) return false;
            if (front != frontPlace || lowest != frontTicket) {
                frontPlace = front;
                frontTicket = lowest;
                yieldingSince = 0;
            }
            return true;
        } catch (RuntimeException e) {
            LOG.debug("Cannot read the queue of lock file {}; not yielding", file.path(), e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After an attempt that yielded: whether it left a free lock (or permit) for the process
     * ahead. A process that leaves one untaken for {@code limitNanos} in a row is passed over.
     */
    void yielded(LockFile file, boolean leftOneFree, long limitNanos) {
        lock.lock();
        try {
            if (!leftOneFree) {
                yieldingSince = 0; // nothing was free: the one ahead is not shown to be stuck
                return;
            }
            long now = System.nanoTime();
            if (yieldingSince == 0) {
                yieldingSince = now | 1; // never 0
            } else if (now - yieldingSince > limitNanos && (passedPlace != frontPlace || passedTicket != frontTicket)) {
                passedPlace = frontPlace;
                passedTicket = frontTicket;
                LOG.debug("Lock file {}: the process in queue place {} left the lock free for {} ms; passing it over", file.path(),
                        frontPlace, (now - yieldingSince) / 1_000_000);
            }
        } finally {
            lock.unlock();
        }
    }

    /** An acquisition of this JVM starts waiting (its first attempt failed); this JVM takes a place if it has none. */
    Waiter startWaiting(LockFile file) {
        lock.lock();
        try {
            waiters++;
            if (place < 0) takePlace(file);
            return new Waiter();
        } finally {
            lock.unlock();
        }
    }

    /** {@code waiter} gives up (timeout, interrupt, failure, a stale file); the last one leaves the place. */
    void stopWaiting(LockFile file, Waiter waiter) {
        lock.lock();
        try {
            forget(waiter);
            if (waiters == 0) leavePlace(file);
        } finally {
            lock.unlock();
        }
    }

    /**
     * This JVM took the lock (or a permit), for {@code waiter} or for an acquisition that had
     * not waited ({@code null}): its turn is used, so it goes to the back of the queue if others
     * of it still wait (it keeps its ticket while no other process queues), and leaves the queue
     * otherwise.
     */
    void took(LockFile file, Waiter waiter) {
        lock.lock();
        try {
            if (waiter != null) forget(waiter);
            if (place < 0) return;
            if (waiters == 0) {
                leavePlace(file);
                return;
            }
            if (others == 0) return; // alone in the queue: already at its back
            try {
                long next = file.tryNextTicket(place);
                if (next != 0) {
                    ticket = next;
                } else { // the counter's lock is held (by a stopped process?): to the back by leaving, back in later
                    LOG.debug("Lock file {}: cannot draw a ticket now; leaving the queue until the next attempt", file.path());
                    leavePlace(file);
                    retakePlace = true;
                }
            } catch (RuntimeException e) {
                LOG.debug("Cannot draw a ticket on lock file {}", file.path(), e);
                leavePlace(file);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a failed attempt of {@code waiter}: whether it should pause only the retry
     * strategy's first pause. True for one waiter of this JVM (the poller), while this JVM is
     * first or second in the queue and another process waits too (at the last look); a process
     * waiting alone keeps the strategy's backoff.
     */
    boolean pauseShortly(Waiter waiter) {
        lock.lock();
        try {
            if (poller == null) poller = waiter;
            return poller == waiter && place >= 0 && others > 0 && ahead <= 1;
        } finally {
            lock.unlock();
        }
    }

    private void forget(Waiter waiter) {
        waiters--;
        if (poller == waiter) poller = null;
    }

    /** Whether place {@code k} of another process is live; a dead one found with a ticket is cleared. */
    private boolean isLive(LockFile file, int k) {
        FileLock probe = file.tryLockPlace(k, true);
        if (probe == null) return true;
        try {
            file.writePlace(k, 0); // nobody can claim it while we hold the probe
        } finally {
            file.unlock(probe);
        }
        return false;
    }

    private void takePlace(LockFile file) {
        retakePlace = false;
        try {
            for (int k = 0; k < LockFile.MAX_PLACES; k++) {
                FileLock claimed = file.tryLockPlace(k, false);
                if (claimed == null) continue;
                place = k;
                placeLock = claimed;
                long drawn = file.tryNextTicket(k);
                if (drawn == 0) { // the counter's lock is held (by a stopped process?): wait without a place for now
                    LOG.debug("Lock file {}: cannot draw a ticket now; taking a queue place at the next attempt", file.path());
                    leavePlace(file);
                    retakePlace = true;
                    return;
                }
                ticket = drawn;
                return;
            }
            LOG.debug("Lock file {}: every queue place is taken; waiting without one", file.path());
        } catch (RuntimeException e) {
            LOG.debug("Cannot take a queue place on lock file {}", file.path(), e);
            leavePlace(file);
        }
    }

    private void leavePlace(LockFile file) {
        if (place < 0) return;
        FileLock claimed = placeLock;
        int k = place;
        place = -1;
        placeLock = null;
        try {
            file.writePlace(k, 0);
        } catch (RuntimeException e) {
            LOG.debug("Cannot clear queue place {} of lock file {}", k, file.path(), e);
        } finally {
            if (claimed != null) {
                try {
                    file.unlock(claimed);
                } catch (RuntimeException e) {
                    LOG.debug("Cannot unlock queue place {} of lock file {}", k, file.path(), e);
                }
            }
        }
    }
}
