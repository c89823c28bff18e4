package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Transaction-scoped locks on callers' own connections: released by commit/rollback, never poisoning the transaction. */
class PostgresTransactionLocksTest {
    private final String name = "xact-" + UUID.randomUUID();

    private static PostgresLockProvider provider() {
        String base = PostgresBackend.baseUrl();
        return (PostgresLockProvider) LockProvider.open(base + (base.contains("?") ? "&" : "?") + "prefix=xacttest");
    }

    private static String scalar(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void transactionLock_excludesOthersUntilCommit_includingTheProvidersMutexOfTheSameName() throws Exception {
        try (PostgresLockProvider locks = provider(); Connection a = PostgresBackend.jdbc(); Connection b = PostgresBackend.jdbc()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            long token = locks.transactionLocks().lock(a, name, Duration.ofSeconds(5));
            assertTrue(token > 0);
            assertEquals(OptionalLong.empty(), locks.transactionLocks().tryLock(b, name));
            assertEquals(Optional.empty(), locks.lock(name).tryAcquire(), "the provider's mutex of the same name must be excluded");
            a.commit();
            assertTrue(locks.transactionLocks().tryLock(b, name).getAsLong() > token);
            b.rollback();
            locks.lock(name).tryAcquire().orElseThrow().release();
        }
    }

    @Test
    void afterClose_lockAndTryLock_throwIllegalStateException_andLeaveTheCallersTransactionAlone() throws Exception {
        PostgresTransactionLocks tx;
        try (PostgresLockProvider locks = provider()) {
            tx = locks.transactionLocks();
        }
        try (Connection c = PostgresBackend.jdbc()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '7s'");
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tx.lock(c, name, Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> tx.tryLock(c, name));
            assertEquals("7s", scalar(c, "SELECT current_setting('lock_timeout')"), "the caller's settings were changed");
            assertEquals("0", scalar(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"));
            try (Statement s = c.createStatement()) {
                SQLException noSavepoint = assertThrows(SQLException.class, () -> s.execute("RELEASE SAVEPOINT dlock_wait"));
                assertEquals("3B001", noSavepoint.getSQLState(), "dlock's savepoint was left in the caller's transaction");
            }
            c.rollback();
        }
    }

    @Test
    void timeout_leavesTheCallersTransactionUsable_andTheirLockTimeoutUntouched() throws Exception {
        try (PostgresLockProvider locks = provider(); Connection holder = PostgresBackend.jdbc(); Connection waiter = PostgresBackend.jdbc()) {
            holder.setAutoCommit(false);
            waiter.setAutoCommit(false);
            locks.transactionLocks().lock(holder, name, Duration.ofSeconds(5));
            try (Statement s = waiter.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '7s'");
                s.execute("CREATE TEMP TABLE dlock_xact_probe (x int) ON COMMIT DROP");
                s.execute("INSERT INTO dlock_xact_probe VALUES (1)");
            }
            assertThrows(LockTimeoutException.class, () -> locks.transactionLocks().lock(waiter, name, Duration.ofMillis(200)));
            assertEquals("1", scalar(waiter, "SELECT count(*) FROM dlock_xact_probe"), "the caller's transaction was aborted or rolled back");
            assertEquals("7s", scalar(waiter, "SHOW lock_timeout"), "lock_timeout leaked or was reset");
            holder.rollback();
            assertTrue(locks.transactionLocks().lock(waiter, name, Duration.ofSeconds(5)) > 0);
            assertEquals("7s", scalar(waiter, "SHOW lock_timeout"));
            waiter.commit();
        }
    }

    /** Two transactions each holding the lock the other waits for: PostgreSQL breaks the cycle (40P01), reported as a deadlock. */
    @Test
    void crossedWaits_areReportedAsADeadlock_andTheOtherTransactionProceeds() throws Exception {
        try (PostgresLockProvider locks = provider(); Connection a = PostgresBackend.jdbc(); Connection b = PostgresBackend.jdbc()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            locks.transactionLocks().lock(a, name + "-x", Duration.ofSeconds(5));
            locks.transactionLocks().lock(b, name + "-y", Duration.ofSeconds(5));
            java.util.concurrent.CompletableFuture<Long> aWaitsForY = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return locks.transactionLocks().lock(a, name + "-y", Duration.ofSeconds(30));
                } catch (Exception e) {
                    try {
                        a.rollback(); // the victim gives up its locks, so that b gets what it waits for
                    } catch (java.sql.SQLException ignored) {
                        // the assertion below reports the original failure
                    }
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Throwable failure = null;
            long token = 0;
            try {
                token = locks.transactionLocks().lock(b, name + "-x", Duration.ofSeconds(30));
            } catch (io.github.dlock.LockBackendException e) {
                failure = e;
                b.rollback(); // the victim gives up its locks; the other transaction gets what it waited for
            }
            if (failure == null) { // the server picked a as the victim
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> aWaitsForY.get(30, java.util.concurrent.TimeUnit.SECONDS));
                failure = e.getCause();
                assertTrue(token > 0);
                b.commit();
            } else {
                assertTrue(aWaitsForY.get(30, java.util.concurrent.TimeUnit.SECONDS) > 0);
            }
            assertTrue(failure instanceof io.github.dlock.LockBackendException, String.valueOf(failure));
            assertTrue(failure.getMessage().contains("deadlock"), failure.getMessage());
            a.rollback();
        }
    }

    @Test
    void autoCommitConnections_areRejected() throws Exception {
        try (PostgresLockProvider locks = provider(); Connection c = PostgresBackend.jdbc()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> locks.transactionLocks().tryLock(c, name));
            assertTrue(e.getMessage().contains("auto-commit"), e.getMessage());
            assertThrows(NullPointerException.class, () -> locks.transactionLocks().tryLock(null, name));
            c.setAutoCommit(false);
            assertThrows(IllegalArgumentException.class, () -> locks.transactionLocks().lock(c, " ", Duration.ofSeconds(1)));
            assertThrows(IllegalArgumentException.class, () -> locks.transactionLocks().lock(c, name, Duration.ofSeconds(-1)));
            c.rollback();
        }
    }
}
