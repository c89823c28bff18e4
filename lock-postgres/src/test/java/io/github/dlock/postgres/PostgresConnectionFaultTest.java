package io.github.dlock.postgres;

import static io.github.dlock.postgres.PgTestSupport.assertPoolBack;
import static io.github.dlock.postgres.PgTestSupport.keepsWorking;
import static io.github.dlock.postgres.PgTestSupport.url;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The connection lifecycle under faults: after each kind of fault the pool's in-use count
 * returns to its baseline, the provider keeps working for 3 x poolSize rounds, and
 * {@code pg_locks} shows no advisory lock without a live handle.
 */
class PostgresConnectionFaultTest {
    private static final int POOL = 4;

    /** Baseline after one try-lock: the shared session stays pinned, nothing else is in use. */
    private static int warmBaseline(LockProvider locks) throws Exception {
        locks.lock("warm-up").tryAcquire().orElseThrow().release();
        return ((PostgresLockProvider) locks).connectionsInUse();
    }

    /** A lock this provider won by waiting in the server (so it sits on a dedicated session). */
    private static LockHandle waitedFor(LockProvider locks, LockProvider other, String name) throws Exception {
        LockHandle blocker = other.lock(name).acquire(Duration.ofSeconds(10));
        CompletableFuture<LockHandle> waited = locks.lock(name).acquireAsync(Duration.ofSeconds(30));
        PgTestSupport.awaitWaiting(((PostgresLockProvider) locks).ownerId(), 1);
        blocker.release();
        return waited.get(30, TimeUnit.SECONDS);
    }

    @Test
    void terminatedSessions_freeTheirPoolSlots_andTheProviderKeepsWorking() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, "poolSize=" + POOL + "&keepAlive=300ms"));
                LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            int baseline = warmBaseline(locks);
            for (int round = 0; round < POOL + 1; round++) {
                LockHandle shared = locks.lock("term-shared").tryAcquire().orElseThrow();
                LockHandle dedicated = waitedFor(locks, other, "term-dedicated");
                PgLocks.terminateSessionsOf(owner);
                shared.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
                dedicated.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
                shared.release();
                dedicated.release();
                assertPoolBack("after terminated sessions, round " + round, baseline, locks);
            }
            keepsWorking(locks, 3 * POOL);
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true), "an advisory lock is held with no live handle");
        }
    }

    @Test
    void idleSessionTimeout_endsIdleHolders_reportedLost_andTheirSlotsFreed() throws Exception {
        String db = "dlock_idle_" + Long.toHexString(System.nanoTime());
        String owner = PgLocks.newOwner();
        try (AutoCloseable scratch = PgTestSupport.scratchDatabase(db, "idle_session_timeout = '700ms'");
                LockProvider locks = LockProvider.open(PgTestSupport.urlOf(db, owner, "poolSize=" + POOL + "&keepAlive=1500ms"))) {
            int baseline = warmBaseline(locks);
            for (int round = 0; round < POOL + 1; round++) {
                LockHandle idle = locks.lock("idle-" + round).tryAcquire().orElseThrow();
                idle.lost().toCompletableFuture().get(15, TimeUnit.SECONDS); // the server ended the idle session
                idle.release();
                assertPoolBack("after idle_session_timeout, round " + round, baseline, locks);
            }
            keepsWorking(locks, 3 * POOL);
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true));
        }
    }

    @Test
    void interruptedAndCancelledWaits_freeTheirPoolSlots() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, "poolSize=" + POOL));
                LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            int baseline = warmBaseline(locks);
            try (LockHandle blocker = other.lock("busy").acquire()) {
                for (int round = 0; round < POOL + 1; round++) {
                    CompletableFuture<LockHandle> cancelled = locks.lock("busy").acquireAsync(Duration.ofSeconds(60));
                    PgTestSupport.awaitWaiting(owner, 1);
                    cancelled.cancel(true);
                    Thread waiter = new Thread(() -> {
                        try {
                            locks.lock("busy").acquire(Duration.ofSeconds(60)).release();
                        } catch (InterruptedException expected) {
                            // the interrupt ended the wait
                        }
                    });
                    waiter.start();
                    PgTestSupport.awaitWaiting(owner, 1);
                    waiter.interrupt();
                    waiter.join(10_000);
                    assertFalse(waiter.isAlive(), "the interrupted waiter did not return");
                    assertPoolBack("after an interrupted and a cancelled wait, round " + round, baseline, locks);
                }
            }
            keepsWorking(locks, 3 * POOL);
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true) + PgLocks.advisoryLocksOf(owner, false));
        }
    }

    /**
     * The fencing sequence runs out (MAXVALUE) after the advisory lock was granted in the same
     * statement: on the shared session, on a dedicated try and after a wait. Each failing call
     * fails; no lock stays behind on any connection; other locks on the shared session stay held.
     */
    @Test
    void statementErrorsAfterTheGrant_leaveNothingHeld_andSpareOtherLocks() throws Exception {
        String owner = PgLocks.newOwner();
        String sequence = "dlock_exhausted_" + Long.toHexString(System.nanoTime());
        try (Connection admin = PostgresBackend.jdbc(); Statement s = admin.createStatement()) {
            PgTestSupport.createFenceWithTokensLeft(s, sequence, 4);
            // poolSize 3: one shared session, so the second read lock below re-enters the first one's hold
            try (LockProvider locks = LockProvider.open(url(owner, "poolSize=3&keepAlive=300ms&sequence=" + sequence));
                    LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
                LockHandle keep1 = locks.lock("keep-1").tryAcquire().orElseThrow();
                LockHandle keep2 = locks.lock("keep-2").tryAcquire().orElseThrow();
                LockHandle reader = locks.readWriteLock("rw-fail").readLock().tryAcquire().orElseThrow();
                locks.lock("spare").tryAcquire().orElseThrow().release(); // the sequence's last value
                int baseline = ((PostgresLockProvider) locks).connectionsInUse();

                LockBackendException onShared = assertThrows(LockBackendException.class, () -> locks.lock("try-fail").tryAcquire());
                assertTrue(onShared.getMessage().contains("maximum value"), onShared.getMessage());
                other.lock("try-fail").tryAcquire(Duration.ofSeconds(5)).orElseThrow(
                        () -> new AssertionError("the failed try left its lock held on the shared session")).release();

                // a second read lock of a name the shared session reads already re-enters it there
                assertThrows(LockBackendException.class, () -> locks.readWriteLock("rw-fail").readLock().tryAcquire());
                reader.release();
                other.readWriteLock("rw-fail").writeLock().tryAcquire(Duration.ofSeconds(5)).orElseThrow(
                        () -> new AssertionError("the failed re-entrant try left a read hold behind")).release();

                LockHandle blocker = other.lock("wait-fail").acquire();
                CompletableFuture<LockHandle> waited = locks.lock("wait-fail").acquireAsync(Duration.ofSeconds(30));
                PgTestSupport.awaitWaiting(owner, 1);
                blocker.release();
                ExecutionException afterGrant = assertThrows(ExecutionException.class, () -> waited.get(30, TimeUnit.SECONDS));
                assertTrue(afterGrant.getCause() instanceof LockBackendException, String.valueOf(afterGrant.getCause()));
                other.lock("wait-fail").tryAcquire(Duration.ofSeconds(5)).orElseThrow(
                        () -> new AssertionError("the failed wait left its lock held on a pooled connection")).release();

                assertFalse(keep1.isLost() || keep2.isLost(), "a statement error on the shared session lost its other locks");
                assertTrue(other.lock("keep-1").tryAcquire().isEmpty(), "keep-1 was freed by a statement error");
                assertPoolBack("after statement errors", baseline, locks);
                Thread.sleep(700); // two keep-alive rounds
                assertFalse(keep1.isLost() || keep2.isLost());
                assertEquals(2, PgLocks.advisoryLocksOf(owner, true), "only keep-1 and keep-2 may be held");
                keep1.release();
                keep2.release();
                assertEquals(0, PgLocks.advisoryLocksOf(owner, true));
            } finally {
                PgTestSupport.dropFence(s, sequence);
            }
        }
    }

    @Test
    void closingProviders_onACallersPool_returnsEveryConnection() throws Exception {
        try (HikariDataSource app = PgTestSupport.appPool(8, null); LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            int baseline = PgTestSupport.active(app);
            for (int i = 0; i < 4; i++) {
                try (PostgresLockProvider locks = PostgresLockProvider.builder().dataSource(app).prefix("faulttest").build()) {
                    locks.lock("held-on-close").tryAcquire().orElseThrow(); // left held: close releases it
                    LockHandle blocker = other.lock("close-wait").acquire();
                    CompletableFuture<LockHandle> waited = locks.lock("close-wait").acquireAsync(Duration.ofSeconds(30));
                    Thread.sleep(200); // most likely waiting by now; if not, it takes the free lock, a smaller case of the same
                    blocker.release();
                    waited.get(30, TimeUnit.SECONDS); // a dedicated session, left held
                    LockHandle permit = other.semaphore("close-sem", 1).acquire();
                    CompletableFuture<LockHandle> semWaiter = locks.semaphore("close-sem", 1).acquireAsync(Duration.ofSeconds(30)); // LISTENs
                    Thread.sleep(200); // as above
                    permit.release();
                    semWaiter.get(30, TimeUnit.SECONDS);
                }
                assertPoolBack("after closing provider " + i + " on a caller's pool", baseline, app);
            }
        }
    }

    @Test
    void poolSize_capsTheConnectionsTakenFromACallersDataSource() throws Exception {
        try (HikariDataSource app = PgTestSupport.appPool(12, null);
                PostgresLockProvider locks = PostgresLockProvider.builder().dataSource(app).prefix("faulttest").poolSize(4).transactionPooling(true).build()) {
            int baseline = PgTestSupport.active(app);
            List<LockHandle> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) held.add(locks.lock("capped-" + i).tryAcquire().orElseThrow()); // a transaction (connection) each
                LockBackendException e = assertThrows(LockBackendException.class, () -> locks.lock("capped-4").tryAcquire());
                assertTrue(e.getMessage().contains("poolSize"), e.getMessage());
                assertEquals(baseline + 4, PgTestSupport.active(app), "dlock took more of the caller's connections than poolSize");
            } finally {
                for (LockHandle h : held) h.release();
            }
            assertPoolBack("after releasing capped locks", baseline, app);
            locks.lock("capped-4").tryAcquire().orElseThrow().release(); // room again
        }
    }

    @Test
    void lossIsDetectedWithinTwoKeepAlives_whileAnotherThreadOfTheProviderWaits() throws Exception {
        String owner = PgLocks.newOwner();
        Duration keepAlive = Duration.ofSeconds(2);
        try (LockProvider locks = LockProvider.open(url(owner, "keepAlive=" + keepAlive.toMillis() + "ms"));
                LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            LockHandle held = locks.lock("probe-held").tryAcquire().orElseThrow();
            List<CompletableFuture<LockHandle>> waiters = new ArrayList<>();
            try (LockHandle blocker = other.lock("probe-busy").acquire()) {
                for (int i = 0; i < 3; i++) waiters.add(locks.lock("probe-busy").acquireAsync(Duration.ofMinutes(5)));
                PgTestSupport.awaitWaiting(owner, 3);
                Thread.sleep(keepAlive.toMillis() + 500); // the keep-alive has met the waiting sessions at least once
                PgTestSupport.terminateSessionsInState(owner, "idle"); // the holder's session only; the waiters are active
                long start = System.nanoTime();
                held.lost().toCompletableFuture().get(2 * keepAlive.toMillis() + 1000, TimeUnit.MILLISECONDS);
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs <= 2 * keepAlive.toMillis() + 1000, "loss took " + tookMs + " ms");
                other.lock("probe-held").tryAcquire(Duration.ofSeconds(5)).orElseThrow().release();
                for (CompletableFuture<LockHandle> w : waiters) assertFalse(w.isDone(), "a waiter ended early");
            }
            CompletableFuture.allOf(waiters.stream().map(w -> w.thenAccept(LockHandle::release)).toArray(CompletableFuture[]::new))
                    .get(30, TimeUnit.SECONDS); // a mutex: each releases as it gets it
            held.release();
        }
    }

    /** A session killed before the keep-alive noticed: releasing its handle does not throw and reports it lost. */
    @Test
    void releasingAHandleWhoseSessionWasKilled_doesNotThrow_andReportsLost() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, "keepAlive=1h"));
                LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            int baseline = warmBaseline(locks);
            LockHandle shared = locks.lock("killed-shared").tryAcquire().orElseThrow();
            LockHandle dedicated = waitedFor(locks, other, "killed-dedicated");
            PgLocks.terminateSessionsOf(owner);
            dedicated.release();
            shared.release();
            assertTrue(shared.isLost(), "the killed shared session's handle does not report lost");
            assertTrue(dedicated.isLost(), "the killed dedicated session's handle does not report lost");
            shared.lost().toCompletableFuture().get(5, TimeUnit.SECONDS); // completed on a thread of its own
            assertPoolBack("after releasing killed handles", baseline, locks);
        }
    }

    /** A dead shared session is replaced for new acquires, even before the keep-alive notices. */
    @Test
    void theFirstAcquireAfterTheSharedSessionDied_succeeds() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, "keepAlive=1h"))) {
            for (int i = 0; i < 3; i++) {
                locks.lock("before-" + i).tryAcquire().orElseThrow().release();
                PgLocks.terminateSessionsOf(owner);
                locks.lock("unrelated-" + i).tryAcquire().orElseThrow().release();
            }
            keepsWorking(locks, 3);
        }
    }

    /** Lock-table exhaustion on a private cluster: the failing call fails; every other held lock stays held and not lost. */
    @Test
    void lockTableExhaustion_failsOnlyTheFailingCall() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres("max_locks_per_transaction=10", "max_connections=10")) {
            String owner = PgLocks.newOwner();
            try (Connection admin = java.sql.DriverManager.getConnection(pg.jdbcUrl(), "postgres", null); // connected before the table fills
                    LockProvider locks = LockProvider.open(pg.url() + "?keepAlive=300ms&owner=" + owner)) {
                List<LockHandle> held = new ArrayList<>();
                LockBackendException full = null;
                for (int i = 0; i < 1000 && full == null; i++) {
                    try {
                        held.add(locks.lock("table-" + i).tryAcquire().orElseThrow());
                    } catch (LockBackendException e) {
                        full = e;
                    }
                }
                assertTrue(full != null, "the lock table never filled up");
                assertTrue(full.getMessage().contains("shared memory") || full.getMessage().contains("max_locks_per_transaction"), full.getMessage());
                assertTrue(held.size() >= 50, "only " + held.size() + " locks before the table filled");
                Thread.sleep(1000); // several keep-alive rounds
                for (LockHandle h : held) assertFalse(h.isLost(), h + " was lost after another call failed");
                try (Statement s = admin.createStatement();
                        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) {
                    rs.next();
                    assertEquals(held.size(), rs.getInt(1), "the server does not hold every lock the handles claim");
                }
                for (LockHandle h : held) h.release();
                locks.lock("table-after").tryAcquire().orElseThrow().release();
            }
        }
    }
}
