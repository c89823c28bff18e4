package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockListener;
import io.github.dlock.LockListener.Outcome;
import io.github.dlock.LockMode;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the provider reports to its {@link LockListener}s, and that listeners cannot break locking. */
class LockListenerTest {
    private static final long MS = 1_000_000;

    /** One reported event. */
    record Event(String kind, String name, LockMode mode, String backend, Object what, long nanos, String thread) {
        @Override
        public String toString() {
            return kind + " " + name + " " + mode + " " + backend + " " + what + " " + nanos + " on " + thread;
        }
    }

    /** Records every event; {@code lostSeen} counts down on each loss (reported on a thread of dlock's). */
    static final class Recorder implements LockListener {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final CountDownLatch lostSeen = new CountDownLatch(1);

        @Override
        public void acquireFinished(String name, LockMode mode, String backend, Outcome outcome, long waitNanos) {
            events.add(new Event("acquire", name, mode, backend, outcome, waitNanos, Thread.currentThread().getName()));
        }

        @Override
        public void released(String name, LockMode mode, String backend, long holdNanos) {
            events.add(new Event("released", name, mode, backend, null, holdNanos, Thread.currentThread().getName()));
        }

        @Override
        public void lost(String name, LockMode mode, String backend, String reason) {
            events.add(new Event("lost", name, mode, backend, reason, 0, Thread.currentThread().getName()));
            lostSeen.countDown();
        }

        @Override
        public void renewalRound(String backend, int locks, int roundTrips, int failures) {
            events.add(new Event("renewal", null, null, backend, locks + "/" + roundTrips + "/" + failures, 0, Thread.currentThread().getName()));
        }

        List<Object> outcomes() {
            return events.stream().filter(e -> e.kind.equals("acquire")).map(Event::what).toList();
        }

        List<String> kinds() {
            return events.stream().map(Event::kind).toList();
        }
    }

    /** A clock that moves only when told, and counts how often it is read. */
    static final class ManualTicker implements Ticker {
        final AtomicLong now = new AtomicLong(1_000 * MS);
        final AtomicLong reads = new AtomicLong();

        @Override
        public long read() {
            reads.incrementAndGet();
            return now.get();
        }
    }

    @Test
    void acquireAndRelease_reportTheOutcome_theWaitAndTheHoldTime_byTheProvidersClock() throws Exception {
        ManualTicker clock = new ManualTicker();
        Recorder recorder = new Recorder();
        try (MemoryBackend backend = new MemoryBackend(clock); LockListener.Registration r = backend.runtime.listen(recorder)) {
            LockHandle handle = backend.lock("orders").acquire(Duration.ofSeconds(5));
            clock.now.addAndGet(7 * MS);
            handle.release();
            handle.release(); // a second release is no release: not reported again
            assertEquals(List.of("acquire", "released"), recorder.kinds(), recorder.events.toString());
            Event acquired = recorder.events.get(0);
            assertEquals(new Event("acquire", "orders", LockMode.EXCLUSIVE, "memory", Outcome.ACQUIRED, 0, Thread.currentThread().getName()), acquired);
            Event released = recorder.events.get(1);
            assertEquals(new Event("released", "orders", LockMode.EXCLUSIVE, "memory", null, 7 * MS, Thread.currentThread().getName()), released);
        }
    }

    @Test
    void withoutAListener_theAcquireAndReleasePath_readsTheClockNoMoreThanItsDeadlineDoes() throws Exception {
        ManualTicker clock = new ManualTicker();
        try (MemoryBackend backend = new MemoryBackend(clock)) {
            DistributedLock lock = backend.lock("quiet");
            long before = clock.reads.get();
            lock.tryAcquire().orElseThrow().release();
            assertEquals(1, clock.reads.get() - before, "only Deadline.after reads the clock when nobody listens");

            Recorder recorder = new Recorder();
            LockListener.Registration r = backend.runtime.listen(recorder);
            before = clock.reads.get();
            lock.tryAcquire().orElseThrow().release();
            assertTrue(clock.reads.get() - before > 1, "a listener needs the clock");
            r.close();
            r.close(); // idempotent
            before = clock.reads.get();
            lock.tryAcquire().orElseThrow().release();
            assertEquals(1, clock.reads.get() - before, "a removed listener costs nothing");
            assertEquals(List.of("acquire", "released"), recorder.kinds(), "nothing reported after the registration closed");
        }
    }

    @Test
    void outcomes_timeout_empty_interrupted_error_andPermitsAreReportedAsSuch() throws Exception {
        Recorder recorder = new Recorder();
        try (MemoryBackend backend = new MemoryBackend(); LockListener.Registration r = backend.runtime.listen(recorder);
                LockHandle held = backend.lock("busy").acquire()) {
            DistributedLock busy = backend.lock("busy");
            assertThrows(LockTimeoutException.class, () -> busy.acquire(Duration.ofMillis(20)));
            assertEquals(Optional.empty(), busy.tryAcquire(Duration.ofMillis(20)));
            assertEquals(Optional.empty(), busy.tryAcquire());
            assertThrows(LockTimeoutException.class, () -> busy.acquire(Duration.ZERO));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, busy::acquire);
            assertFalse(Thread.currentThread().isInterrupted());
            Thread.currentThread().interrupt();
            assertEquals(Optional.empty(), busy.tryAcquire(), "tryAcquire() keeps the interrupt and, the lock being busy, returns empty");
            assertTrue(Thread.interrupted());
            DistributedLock failing = backend.runtime.lock("failing", n -> deadline -> {
                throw new IllegalStateException("store down");
            });
            assertThrows(IllegalStateException.class, failing::tryAcquire);
            backend.semaphore("pool", 2).acquire().release();
            assertEquals(List.of(Outcome.ACQUIRED, Outcome.TIMEOUT, Outcome.TIMEOUT, Outcome.EMPTY, Outcome.EMPTY,
                    Outcome.INTERRUPTED, Outcome.EMPTY, Outcome.ERROR, Outcome.ACQUIRED), recorder.outcomes(), recorder.events.toString());
            Event permit = recorder.events.get(recorder.events.size() - 1);
            assertEquals("released", permit.kind);
            assertEquals(LockMode.PERMIT, permit.mode);
            assertEquals("pool", permit.name);
            assertTrue(recorder.events.get(1).nanos > 0, "a wait that slept reports its time: " + recorder.events.get(1));
        }
    }

    @Test
    void acquireAsync_reportsOnTheThreadThatRanIt() throws Exception {
        Recorder recorder = new Recorder();
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "async-runner"));
        try (MemoryBackend backend = new MemoryBackend(); LockListener.Registration r = backend.runtime.listen(recorder)) {
            backend.lock("a").acquireAsync(Duration.ofSeconds(5), mine).get(10, TimeUnit.SECONDS).release();
            assertEquals("async-runner", recorder.events.get(0).thread);
            assertEquals(Outcome.ACQUIRED, recorder.events.get(0).what);
            assertEquals(Thread.currentThread().getName(), recorder.events.get(1).thread, "released where release() was called");
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void aLostLock_isReportedLostWithItsReason_andReleasedWhenItsHandleIs() throws Exception {
        Recorder recorder = new Recorder();
        try (MemoryBackend backend = new MemoryBackend(); LockListener.Registration r = backend.runtime.listen(recorder)) {
            LockHandle handle = backend.lock("fragile").acquire();
            backend.last.markLost("the test took it away");
            assertTrue(recorder.lostSeen.await(10, TimeUnit.SECONDS), "no lost event");
            handle.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            backend.last.markLost("again"); // reported once only
            handle.release();
            assertEquals(List.of("acquire", "lost", "released"), recorder.kinds(), recorder.events.toString());
            Event lost = recorder.events.get(1);
            assertEquals("fragile", lost.name);
            assertEquals(LockMode.EXCLUSIVE, lost.mode);
            assertEquals("the test took it away", lost.what);
        }
    }

    @Test
    void closingTheProvider_reportsTheLocksItReleases_andHeldCountFollows() throws Exception {
        Recorder recorder = new Recorder();
        MemoryBackend backend = new MemoryBackend();
        LockHandle a;
        try {
            LockHandle before = backend.lock("before").acquire(); // acquired before anyone listened: not reported
            assertEquals(1, backend.runtime.heldCount());
            backend.runtime.listen(recorder);
            a = backend.lock("a").acquire();
            LockHandle b = backend.lock("b").acquire();
            assertEquals(3, backend.runtime.heldCount());
            b.release();
            before.release();
            assertEquals(1, backend.runtime.heldCount());
            assertEquals(List.of("acquire", "acquire", "released"), recorder.kinds());
        } finally {
            backend.close();
        }
        assertEquals(0, backend.runtime.heldCount());
        assertTrue(a.isReleased());
        assertTrue(a.isLost(), "close released a lock its holder had not released: that holder lost it");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (recorder.kinds().size() < 5 && System.nanoTime() < end) Thread.onSpinWait(); // lost() completes on a thread of its own
        assertEquals(List.of("acquire", "acquire", "released"), recorder.kinds().subList(0, 3));
        assertEquals(java.util.Set.of("released", "lost"), java.util.Set.copyOf(recorder.kinds().subList(3, 5)), "close reports the loss and the release");
        assertEquals("a", recorder.events.get(3).name, "close reported the lock it released");
        assertEquals("a", recorder.events.get(4).name, "close reported the lock it released");
        assertThrows(IllegalStateException.class, () -> backend.runtime.listen(new Recorder()));
    }

    @Test
    void aListenerThatThrows_isLoggedOnce_andBreaksNothing_norTheListenersAfterIt() throws Exception {
        class Throwing implements LockListener {
            int calls;

            @Override
            public void acquireFinished(String name, LockMode mode, String backend, Outcome outcome, long waitNanos) {
                calls++;
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void released(String name, LockMode mode, String backend, long holdNanos) {
                calls++;
                throw new AssertionError("listener bug");
            }

            @Override
            public void lost(String name, LockMode mode, String backend, String reason) {
                calls++;
                throw new IllegalStateException("listener bug");
            }

            @Override
            public String toString() {
                return "ThrowingListener";
            }
        }
        Throwing throwing = new Throwing();
        Recorder recorder = new Recorder();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (MemoryBackend backend = new MemoryBackend()) {
            backend.runtime.listen(throwing);
            backend.runtime.listen(recorder);
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                for (int i = 0; i < 3; i++) {
                    try (LockHandle h = backend.lock("x").acquire(Duration.ofSeconds(5))) {
                        assertEquals(1, backend.holders("x"));
                    }
                }
                LockHandle h = backend.lock("x").acquire();
                backend.last.markLost("gone");
                h.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertTrue(recorder.lostSeen.await(10, TimeUnit.SECONDS));
                h.release();
            } finally {
                System.setErr(err);
            }
            assertEquals(0, backend.holders("x"), "every release reached the backend");
            assertEquals(9, throwing.calls);
            assertEquals(List.of("acquire", "released", "acquire", "released", "acquire", "released", "acquire", "lost", "released"),
                    recorder.kinds(), "the listener after the failing one heard everything");
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        int warnings = log.split("Lock listener ThrowingListener on memory:test threw", -1).length - 1;
        assertEquals(1, warnings, "logged once per listener (later failures at DEBUG):\n" + log);
    }

    @Test
    void listen_refusesNull() {
        try (MemoryBackend backend = new MemoryBackend()) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> backend.runtime.listen(null));
            assertEquals("listener", e.getMessage());
        }
    }

    @Test
    void renewalRounds_reportTheLocks_roundTrips_andFailures() {
        Recorder recorder = new Recorder();
        AtomicLong now = new AtomicLong(1_000 * MS);
        class Held extends HeldLock {
            Held(String name) {
                super(name, 1);
            }

            @Override
            protected void releaseInBackend() {}
        }
        Held fine = new Held("fine");
        Held flaky = new Held("flaky");
        LeaseRenewer.Batch<Held> batch = new LeaseRenewer.Batch<>() {
            @Override
            public Map<Held, LeaseRenewer.Outcome> renew(Collection<Held> locks, Duration lease) {
                Map<Held, LeaseRenewer.Outcome> out = new HashMap<>();
                for (Held l : locks) out.put(l, l == flaky ? LeaseRenewer.Outcome.FAILED : LeaseRenewer.Outcome.RENEWED);
                return out;
            }

            @Override
            public int roundTrips() {
                return 3;
            }
        };
        try (MemoryBackend backend = new MemoryBackend();
                LeaseRenewer<Held> renewer = LeaseRenewer.withoutRenewal("t", Duration.ofSeconds(1), now::get, batch)) {
            renewer.renewAll(); // nothing held: not reported, listened or not
            renewer.reportingTo(backend.runtime);
            renewer.register(fine, now.get());
            renewer.register(flaky, now.get());
            renewer.renewAll(); // nobody listens yet
            backend.runtime.listen(recorder);
            renewer.renewAll();
            renewer.unregister(flaky);
            renewer.renewAll();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (recorder.events.size() < 2 && System.nanoTime() < end) Thread.onSpinWait(); // reported off the renewer's thread
            List<String> rounds = new ArrayList<>();
            for (Event e : recorder.events) rounds.add(e.kind + " " + e.backend + " " + e.what);
            assertEquals(List.of("renewal memory 2/3/1", "renewal memory 1/3/0"), rounds);
        }
    }
}
