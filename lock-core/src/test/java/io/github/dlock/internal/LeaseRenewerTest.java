package io.github.dlock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.spi.HeldLock;
import io.github.dlock.spi.Ticker;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local validity deadline: send time of the last successful grant + lease − drift (1% + 2 ms). */
class LeaseRenewerTest {
    private static final Duration LEASE = Duration.ofSeconds(1);
    private static final long MS = 1_000_000;
    /** 1000 ms − (10 ms + 2 ms). */
    private static final long VALIDITY = 988 * MS;

    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private static final class Held extends HeldLock {
        Held() {
            super("x", 1);
        }

        @Override
        protected void releaseInBackend() {}
    }

    /** A batch answering {@code outcome} for every lock, advancing the fake clock by {@code replyTakes} (the round trip). */
    private LeaseRenewer.Batch<Held> answering(LeaseRenewer.Outcome outcome, long replyTakes) {
        return (Collection<Held> locks, Duration lease) -> {
            now.addAndGet(replyTakes);
            Map<Held, LeaseRenewer.Outcome> out = new HashMap<>();
            locks.forEach(l -> out.put(l, outcome));
            return out;
        };
    }

    @Test
    void lostAtTheDeadline_sendTimePlusLeaseMinusDrift_notLater() {
        try (LeaseRenewer<Held> renewer = LeaseRenewer.withoutRenewal("t", LEASE, now::get, answering(LeaseRenewer.Outcome.RENEWED, 0))) {
            Held lock = new Held();
            long sent = now.get();
            now.addAndGet(50 * MS); // the grant's reply took 50 ms: the deadline still counts from the send
            renewer.register(lock, sent);
            now.set(sent + VALIDITY - 1);
            renewer.expireDue();
            assertFalse(lock.isLost(), "lost before its deadline");
            assertEquals(1, renewer.remainingNanos(lock));
            now.set(sent + VALIDITY);
            renewer.expireDue();
            assertTrue(lock.isLost(), "not lost at send time + lease - drift");
            assertEquals(0, renewer.remainingNanos(lock));
        }
    }

    @Test
    void renewal_movesTheDeadlineToItsSendTime_notItsReplyTime() {
        try (LeaseRenewer<Held> renewer = LeaseRenewer.withoutRenewal("t", LEASE, now::get, answering(LeaseRenewer.Outcome.RENEWED, 300 * MS))) {
            Held lock = new Held();
            long granted = now.get();
            renewer.register(lock, granted);
            now.addAndGet(500 * MS);
            long renewalSent = now.get();
            renewer.renewAll(); // the reply comes 300 ms after the send
            now.set(renewalSent + VALIDITY - 1);
            renewer.expireDue();
            assertFalse(lock.isLost());
            now.set(renewalSent + VALIDITY);
            renewer.expireDue();
            assertTrue(lock.isLost(), "the deadline was counted from the renewal's reply, not its send time");
        }
    }

    @Test
    void failedRenewals_keepTheDeadline_goneLosesAtOnce() {
        try (LeaseRenewer<Held> failing = LeaseRenewer.withoutRenewal("t", LEASE, now::get, answering(LeaseRenewer.Outcome.FAILED, 0));
                LeaseRenewer<Held> gone = LeaseRenewer.withoutRenewal("t", LEASE, now::get, answering(LeaseRenewer.Outcome.GONE, 0))) {
            Held a = new Held();
            Held b = new Held();
            long sent = now.get();
            failing.register(a, sent);
            gone.register(b, sent);
            now.addAndGet(100 * MS);
            failing.renewAll();
            gone.renewAll();
            assertFalse(a.isLost(), "a failed renewal before the deadline must not lose the lock");
            assertTrue(b.isLost(), "a lease reported gone must be lost at once");
            now.set(sent + VALIDITY);
            failing.renewAll();
            assertTrue(a.isLost());
        }
    }

    @Test
    void extend_movesTheDeadlineByItsOwnLease_andAnUnregisteredLockIsNeverLost() {
        try (LeaseRenewer<Held> renewer = LeaseRenewer.withoutRenewal("t", LEASE, now::get, answering(LeaseRenewer.Outcome.RENEWED, 0))) {
            Held lock = new Held();
            Held released = new Held();
            renewer.register(lock, now.get());
            renewer.register(released, now.get());
            renewer.unregister(released);
            long sent = now.get();
            assertEquals(LeaseRenewer.Outcome.RENEWED, renewer.extend(lock, Duration.ofSeconds(10)));
            long validity = 10_000 * MS - (100 * MS + 2 * MS);
            now.set(sent + validity - 1);
            renewer.expireDue();
            assertFalse(lock.isLost());
            now.set(sent + validity);
            renewer.expireDue();
            assertTrue(lock.isLost());
            assertFalse(released.isLost());
            assertEquals(LeaseRenewer.Outcome.GONE, renewer.extend(released, Duration.ofSeconds(10)));
        }
    }

    @Test
    void theTimerFiresAtTheDeadline_whileARenewalIsStillBlockedOnTheNetwork() throws Exception {
        CountDownLatch renewalStarted = new CountDownLatch(1);
        CountDownLatch network = new CountDownLatch(1);
        Duration lease = Duration.ofMillis(600);
        LeaseRenewer.Batch<Held> stuck = (locks, l) -> {
            renewalStarted.countDown();
            try {
                network.await(); // a black-holed connection: no reply, no error
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Map.of();
        };
        try (LeaseRenewer<Held> renewer = new LeaseRenewer<>("t", lease, Duration.ofMillis(100), Ticker.system(), stuck)) {
            Held lock = new Held();
            long sent = System.nanoTime();
            renewer.register(lock, sent);
            assertTrue(renewalStarted.await(5, TimeUnit.SECONDS));
            lock.lostStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            long at = System.nanoTime() - sent;
            assertTrue(at >= renewer.validityNanos(), "lost " + at / 1e6 + " ms after the grant, before its deadline");
            assertEquals(1, network.getCount(), "lost() waited for the renewal's reply");
        } finally {
            network.countDown();
        }
    }

    @Test
    void withoutRenewal_theTimerReportsTheLossAtTheLeaseDeadline() throws Exception {
        Duration lease = Duration.ofMillis(300);
        try (LeaseRenewer<Held> renewer = LeaseRenewer.withoutRenewal("t", lease, Ticker.system(), answering(LeaseRenewer.Outcome.RENEWED, 0))) {
            Held lock = new Held();
            long sent = System.nanoTime();
            renewer.register(lock, sent);
            lock.lostStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - sent >= renewer.validityNanos());
        }
    }
}
