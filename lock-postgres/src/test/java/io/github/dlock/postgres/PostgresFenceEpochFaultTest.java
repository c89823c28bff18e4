package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Faults while a new fencing epoch starts (review of {@link PostgresFence}), on the shared server
 * with a counter of the test's own: a counter that reads as reset makes the next acquisition
 * start an epoch on a lent connection, which the tests then block or kill.
 */
class PostgresFenceEpochFaultTest {

    /** Found by review: the epoch's {@code SELECT ... FOR UPDATE} had no bound, so one session holding the row hung every acquisition. */
    @Test
    void anEpochRowHeldElsewhere_failsTheAcquisitionWithinTheTimeout_andKeepsTheOtherLocksOfTheSession() throws Exception {
        String sequence = "fence_blk_" + UUID.randomUUID().toString().substring(0, 8);
        String owner = "fence-blk";
        try (LockProvider locks = LockProvider.open(PgTestSupport.url(owner, "poolSize=2&timeout=2s&sequence=" + sequence));
                Connection admin = PostgresBackend.jdbc(); Statement s = admin.createStatement();
                Connection rowHolder = PostgresBackend.jdbc()) {
            try {
                LockHandle kept = locks.lock("kept").tryAcquire().orElseThrow(); // on the one shared session (poolSize 2)
                s.execute("SELECT setval('" + sequence + "', 7)"); // reads as reset: the next draw starts an epoch
                rowHolder.setAutoCommit(false);
                try (Statement r = rowHolder.createStatement()) {
                    r.execute("SELECT epoch FROM " + sequence + "_epoch FOR UPDATE");
                }
                CompletableFuture<Object> attempt = attempt(locks, "blocked");
                Object outcome;
                try {
                    outcome = attempt.get(30, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    rowHolder.rollback();
                    fail("the acquisition hung behind the locked epoch row for 30 s (timeout 2 s)");
                    return;
                }
                rowHolder.rollback();
                assertInstanceOf(LockBackendException.class, outcome, String.valueOf(outcome));
                assertTrue(String.valueOf(((Throwable) outcome).getMessage()).contains("epoch"), String.valueOf(outcome));
                assertFalse(kept.lost().toCompletableFuture().isDone(), "the session's other lock was reported lost");
                Optional<LockHandle> again = locks.lock("blocked").tryAcquire(); // the row is free now: a new epoch starts
                assertTrue(again.isPresent(), "the failed acquisition left its lock held");
                again.get().release();
                kept.release();
            } finally {
                if (!rowHolder.getAutoCommit()) rowHolder.rollback(); // its row lock would block the DROP
                PgTestSupport.dropFence(s, sequence);
            }
        }
    }

    /** Found by review: a lent connection that died while starting the epoch was taken for the holder's own, ending its shared session and every lock on it. */
    @Test
    void theLentConnectionDyingWhileStartingAnEpoch_failsOnlyThatAcquisition_notTheSharedSession() throws Exception {
        String sequence = "fence_kill_" + UUID.randomUUID().toString().substring(0, 8);
        String owner = "fence-kill";
        try (LockProvider locks = LockProvider.open(PgTestSupport.url(owner, "poolSize=2&timeout=30s&sequence=" + sequence));
                Connection admin = PostgresBackend.jdbc(); Statement s = admin.createStatement();
                Connection rowHolder = PostgresBackend.jdbc()) {
            try {
                LockHandle kept = locks.lock("kept").tryAcquire().orElseThrow();
                s.execute("SELECT setval('" + sequence + "', 7)");
                rowHolder.setAutoCommit(false);
                try (Statement r = rowHolder.createStatement()) {
                    r.execute("SELECT epoch FROM " + sequence + "_epoch FOR UPDATE");
                }
                CompletableFuture<Object> attempt = attempt(locks, "victim");
                // the lent connection waits for the epoch row: end its backend
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                int killed = 0;
                while (killed == 0) {
                    if (System.nanoTime() > deadline) fail("no session of " + owner + " ever waited for the epoch row");
                    killed = Integer.parseInt(PgTestSupport.scalar(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            + "WHERE wait_event_type = 'Lock' AND query LIKE '%" + sequence + "_epoch%FOR UPDATE%' AND pid <> pg_backend_pid()"));
                    Thread.sleep(20);
                }
                Object outcome;
                try {
                    outcome = attempt.get(30, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    fail("the acquisition did not end within 30 s of its lent connection's end");
                    return;
                }
                rowHolder.rollback();
                assertInstanceOf(LockBackendException.class, outcome, String.valueOf(outcome));
                Thread.sleep(200); // a loss is reported on a thread of its own
                assertFalse(kept.lost().toCompletableFuture().isDone(), "the shared session's other lock was reported lost");
                Optional<LockHandle> again = locks.lock("victim").tryAcquire(); // the counter moves to a new epoch now
                assertTrue(again.isPresent(), "the failed acquisition left its lock held");
                assertTrue(again.get().fencingToken() > 1L << PostgresFence.COUNTER_BITS, "token " + again.get().fencingToken());
                again.get().release();
                kept.release();
            } finally {
                if (!rowHolder.getAutoCommit()) rowHolder.rollback(); // its row lock would block the DROP
                PgTestSupport.dropFence(s, sequence);
            }
        }
    }

    /** Found by review: a reserved word passed the sequence-name check and then broke every statement (and read as PostgreSQL before 15). */
    @Test
    void aReservedWordAsTheSequenceName_works() throws Exception {
        String owner = "fence-reserved";
        try (Connection admin = PostgresBackend.jdbc(); Statement s = admin.createStatement()) {
            dropReserved(s);
            try (LockProvider locks = LockProvider.open(PgTestSupport.url(owner, "sequence=select"))) {
                LockHandle h = locks.lock("reserved").tryAcquire().orElseThrow();
                assertTrue(h.fencingToken() > 1L << PostgresFence.COUNTER_BITS, "token " + h.fencingToken());
                h.release();
                assertTrue(PgTestSupport.scalar(admin, "SELECT relpersistence FROM pg_class WHERE relname = 'select'").equals("u"),
                        "the counter is not unlogged");
            } finally {
                dropReserved(s);
            }
        }
    }

    private static void dropReserved(Statement s) throws java.sql.SQLException {
        s.execute("DROP SEQUENCE IF EXISTS \"select\"");
        s.execute("DROP TABLE IF EXISTS select_epoch");
    }

    private static CompletableFuture<Object> attempt(LockProvider locks, String name) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Optional<LockHandle> h = locks.lock(name).tryAcquire();
                h.ifPresent(LockHandle::release);
                return h;
            } catch (RuntimeException e) {
                return e;
            }
        }, Executors.newSingleThreadExecutor());
    }
}
