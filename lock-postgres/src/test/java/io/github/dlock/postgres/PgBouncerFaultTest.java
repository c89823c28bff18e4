package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Transaction-pooling mode behind a real PgBouncer: locks live in open transactions, faults end them, bad passwords fail clearly. */
class PgBouncerFaultTest {

    private static LockProvider open(String owner, String options) {
        return LockProvider.open(PgBouncerBackend.url("prefix=bouncertest&owner=" + owner + (options.isEmpty() ? "" : "&" + options)));
    }

    @Test
    void heldLocks_areOpenTransactions_andReleaseEndsThem() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = open(owner, "")) {
            LockHandle mutex = locks.lock("tx-held").acquire();
            LockHandle read = locks.readWriteLock("tx-rw").readLock().acquire();
            LockHandle permit = locks.semaphore("tx-sem", 2).acquire();
            assertEquals(3, PgLocks.advisoryLocksOf(owner, true));
            assertEquals(3, PgLocks.sessionsInTransaction(owner), "each held lock is one open transaction");
            assertEquals(List.of(LockMode.READ), locks.holders("tx-rw").stream().map(h -> h.mode()).toList());
            assertEquals(List.of(owner), locks.holders("tx-held").stream().map(h -> h.ownerId()).toList(), "application_name passes PgBouncer");
            java.time.Instant since = locks.holders("tx-held").get(0).since().orElseThrow();
            assertTrue(Math.abs(java.time.Duration.between(since, java.time.Instant.now()).toSeconds()) < 60, since.toString());
            for (LockHandle h : List.of(mutex, read, permit)) h.release();
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true));
            assertEquals(0, PgLocks.sessionsInTransaction(owner), "a released lock left its transaction open");
        }
    }

    @Test
    void terminatedBackend_completesLostWithinTheKeepAlive_andAnotherClientAcquires() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider victim = open(owner, "keepAlive=500ms"); LockProvider other = open(PgLocks.newOwner(), "")) {
            LockHandle tried = victim.lock("bounced-a").tryAcquire().orElseThrow();
            LockHandle blocker = other.lock("bounced-b").acquire();
            CompletableFuture<LockHandle> waited = victim.lock("bounced-b").acquireAsync(Duration.ofSeconds(20));
            blocker.release();
            LockHandle won = waited.get(20, TimeUnit.SECONDS);
            PgLocks.terminateSessionsOf(owner);
            tried.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            won.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            other.lock("bounced-a").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release();
            other.lock("bounced-b").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release();
            tried.release(); // releasing lost handles does not throw
            won.release();
            victim.lock("bounced-a").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release(); // and the provider recovers
            PgTestSupport.assertPoolBack("after terminated sessions", 0, victim); // one connection per held lock: none held now
        }
    }

    @Test
    void acquireWithATimeout_onAHeldLock_throwsAndLeavesNothingInPgLocks() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider holder = open(PgLocks.newOwner(), ""); LockProvider waiter = open(owner, "")) {
            try (LockHandle h = holder.lock("bounced-timeout").acquire(); LockHandle w = holder.readWriteLock("bounced-timeout").writeLock().acquire()) {
                assertThrows(LockTimeoutException.class, () -> waiter.lock("bounced-timeout").acquire(Duration.ofMillis(200)));
                assertThrows(LockTimeoutException.class, () -> waiter.readWriteLock("bounced-timeout").readLock().acquire(Duration.ofMillis(1)));
                assertEquals(0, PgLocks.advisoryLocksOf(owner, true), "a timed-out acquire left a lock held");
                assertEquals(0, PgLocks.advisoryLocksOf(owner, false), "a timed-out acquire left a waiter queued");
                assertEquals(0, PgLocks.sessionsInTransaction(owner), "a timed-out acquire left a transaction open");
            }
        }
    }

    /** Semaphore waiters cannot LISTEN through the pooler: a release in another process reaches them by the retry strategy. */
    @Test
    void semaphoreWaiter_inAnotherProvider_getsTheReleasedPermit() throws Exception {
        try (LockProvider a = open(PgLocks.newOwner(), ""); LockProvider b = open(PgLocks.newOwner(), "retry=exponential:5ms:50ms")) {
            LockHandle permit = a.semaphore("bounced-sem", 1).acquire();
            CompletableFuture<LockHandle> waiting = b.semaphore("bounced-sem", 1).acquireAsync(Duration.ofSeconds(20));
            assertFalse(waiting.isDone());
            permit.release();
            waiting.get(20, TimeUnit.SECONDS).release();
        }
    }

    /** PgBouncer checks the password here (the loopback server itself trusts everyone), over the same protocol. */
    @Test
    void wrongPassword_failsClearly_withoutShowingIt() throws Exception {
        try (PgBouncer bouncer = new PgBouncer("transaction", "scram-sha-256", Map.of("dlock_secret", "right-horse-battery"), "postgres")) {
            String base = "postgresql://dlock_secret:%s@127.0.0.1:" + bouncer.port + "/test?transactionPooling=true&timeout=2s";
            try (LockProvider wrong = LockProvider.open(String.format(base, "wrong-staple"))) {
                long start = System.nanoTime();
                LockBackendException e = assertThrows(LockBackendException.class, () -> wrong.lock("pw").tryAcquire());
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
                assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
                assertFalse(e.getMessage().contains("wrong-staple") || wrong.toString().contains("wrong-staple"), e.getMessage());
            }
            try (LockProvider right = LockProvider.open(String.format(base, "right-horse-battery"))) {
                right.lock("pw").tryAcquire().orElseThrow().release();
                assertFalse(right.toString().contains("right-horse-battery"), right.toString());
            }
        }
    }
}
