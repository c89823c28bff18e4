package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.RetryStrategy;
import io.github.dlock.spi.Deadline;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One-at-a-time wake-ups: one waiter per signal, never lost, passed on by a waiter that cannot use it. */
class WakeSignalTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    /** A thread waiting on {@code signal} for an hour; counts itself in {@code woken} (and {@code chosen} for a signalOne) when it returns. */
    private static Thread parkedWaiter(WakeSignal signal, AtomicInteger woken, AtomicInteger chosen) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                if (signal.awaitChange(signal.generation(), HOUR)) chosen.incrementAndGet();
                woken.incrementAndGet();
            } catch (InterruptedException e) {
                // stopped by the test
            }
        });
        t.setDaemon(true);
        t.start();
        awaitState(t, Thread.State.TIMED_WAITING);
        return t;
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != state) {
            assertTrue(System.nanoTime() < end, "thread never reached " + state + ": " + t.getState());
            Thread.sleep(1);
        }
    }

    private static void awaitCount(AtomicInteger count, int expected) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count.get() < expected) {
            assertTrue(System.nanoTime() < end, "count stayed at " + count.get() + ", expected " + expected);
            Thread.sleep(1);
        }
    }

    @Test
    void signalOne_wakesTheLongestParkedWaiterOnly_signalAllWakesTheRest() throws Exception {
        WakeSignal signal = new WakeSignal();
        AtomicInteger woken = new AtomicInteger();
        AtomicInteger chosen = new AtomicInteger();
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) waiters.add(parkedWaiter(signal, woken, chosen));
        signal.signalOne();
        waiters.get(0).join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(waiters.get(0).isAlive(), "the longest-parked waiter was not woken");
        Thread.sleep(50);
        assertEquals(1, woken.get(), "one signalOne woke " + woken.get() + " waiters");
        assertEquals(1, chosen.get());
        signal.signalAll();
        awaitCount(woken, 4);
        assertEquals(1, chosen.get(), "signalAll wakes without choosing");
    }

    @Test
    void signalOne_withNobodyParked_isKeptForTheNextWait() throws Exception {
        WakeSignal signal = new WakeSignal();
        long seen = signal.generation();
        signal.signalOne(); // the waiter is between its attempt and its wait
        assertTrue(signal.awaitChange(seen, HOUR), "the kept signal should end the next wait at once, as chosen");
        assertFalse(signal.awaitChange(seen, TimeUnit.MILLISECONDS.toNanos(1)), "a kept signal is used once");
    }

    @Test
    void anUnchosenWaiterThatIsInterrupted_takesNoSignalWithIt() throws Exception {
        WakeSignal signal = new WakeSignal();
        AtomicInteger woken = new AtomicInteger();
        AtomicInteger chosen = new AtomicInteger();
        CountDownLatch interruptedOut = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try {
                signal.awaitChange(signal.generation(), HOUR);
            } catch (InterruptedException e) {
                interruptedOut.countDown();
            }
        });
        first.start();
        awaitState(first, Thread.State.TIMED_WAITING);
        Thread second = parkedWaiter(signal, woken, chosen);
        first.interrupt(); // leaves unchosen: nothing to pass on
        assertTrue(interruptedOut.await(10, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertEquals(0, woken.get(), "an unchosen waiter's interrupt woke another");
        signal.signalOne();
        second.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(1, chosen.get(), "the signal went to the remaining waiter");
    }

    /** Through the loop: a waiter woken by signalOne whose attempt throws hands the wake-up to the next waiter. */
    @Test
    void acquireLoop_passesTheWakeOn_whenTheAttemptItWasWokenForThrows() throws Exception {
        WakeSignal signal = new WakeSignal();
        RetryStrategy hourly = RetryStrategy.fixed(Duration.ofHours(1));
        AtomicInteger attemptsOfFailing = new AtomicInteger();
        CountDownLatch failed = new CountDownLatch(1);
        Thread failing = new Thread(() -> {
            try {
                AcquireLoop.run(Deadline.none(Ticker.system()), hourly, signal, () -> {
                    if (attemptsOfFailing.incrementAndGet() > 1) throw new IllegalStateException("store failed");
                    return null;
                });
            } catch (IllegalStateException | InterruptedException e) {
                failed.countDown();
            }
        });
        failing.start();
        awaitState(failing, Thread.State.TIMED_WAITING);
        AtomicInteger attemptsOfOther = new AtomicInteger();
        CountDownLatch otherGotIt = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try {
                AcquireLoop.run(Deadline.none(Ticker.system()), hourly, signal, () -> attemptsOfOther.incrementAndGet() > 1 ? "held" : null);
                otherGotIt.countDown();
            } catch (InterruptedException e) {
                // stopped by the test
            }
        });
        other.setDaemon(true);
        other.start();
        awaitState(other, Thread.State.TIMED_WAITING);
        signal.signalOne(); // goes to the failing waiter, parked first
        assertTrue(failed.await(10, TimeUnit.SECONDS), "the first waiter was not woken");
        assertTrue(otherGotIt.await(10, TimeUnit.SECONDS), "the wake-up the failing waiter could not use was lost");
    }

    /**
     * A waiter that lost a race re-parks after newer ones; signalOne must still wake the one that
     * arrived first (it used to wake the longest-parked, sending the loser behind every newcomer).
     */
    @Test
    void signalOne_wakesTheWaiterThatArrivedFirst_notTheLongestParked() throws Exception {
        WakeSignal signal = new WakeSignal();
        long early = signal.arrive();
        long late = signal.arrive();
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch bothWoken = new CountDownLatch(2);
        Thread newer = parkedWaiter(signal, late, "late", order, bothWoken);
        Thread older = parkedWaiter(signal, early, "early", order, bothWoken); // parks last, arrived first
        signal.signalOne();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (order.isEmpty()) {
            assertTrue(System.nanoTime() < end, "nobody woken");
            Thread.onSpinWait();
        }
        assertEquals(List.of("early"), order, "the waiter that arrived first is woken first");
        signal.signalOne();
        assertTrue(bothWoken.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("early", "late"), order);
        newer.join();
        older.join();
    }

    @Test
    void hasWaitedLongerThan_followsTheEarliestArrivalStillWaiting() throws Exception {
        WakeSignal signal = new WakeSignal();
        assertFalse(signal.hasWaitedLongerThan(0), "nobody waits");
        long first = signal.arrive();
        long second = signal.arrive();
        assertFalse(signal.hasWaitedLongerThan(HOUR));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!signal.hasWaitedLongerThan(0)) assertTrue(System.nanoTime() < end, "the clock did not move");
        signal.depart(first);
        signal.depart(second);
        assertFalse(signal.hasWaitedLongerThan(0), "everybody left");
    }

    /** A thread that arrived at {@code arrivedAt} waiting on {@code signal} for an hour; adds {@code name} to {@code order} when woken by a signalOne. */
    private static Thread parkedWaiter(WakeSignal signal, long arrivedAt, String name, List<String> order, CountDownLatch woken) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                if (signal.awaitChange(signal.generation(), HOUR, arrivedAt)) order.add(name);
                woken.countDown();
            } catch (InterruptedException e) {
                // stopped by the test
            }
        });
        t.setDaemon(true);
        t.start();
        awaitState(t, Thread.State.TIMED_WAITING);
        return t;
    }
}
