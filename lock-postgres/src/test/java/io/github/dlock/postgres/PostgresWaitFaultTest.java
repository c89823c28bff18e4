package io.github.dlock.postgres;

import static io.github.dlock.postgres.PgTestSupport.url;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockHolder;
import io.github.dlock.LockProvider;
import io.github.dlock.LockSet;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.OwnerIds;
import java.net.ServerSocket;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Waits under server settings, huge and attempt-limited timeouts, pool-bounded queueing, fast failures and builder checks. */
class PostgresWaitFaultTest {

    @Test
    void statementTimeoutOfTheDatabase_doesNotCutAWaitShort() throws Exception {
        String db = "dlock_stmt_" + Long.toHexString(System.nanoTime());
        try (AutoCloseable scratch = PgTestSupport.scratchDatabase(db, "statement_timeout = '1s'");
                LockProvider holder = LockProvider.open(PgTestSupport.urlOf(db, PgLocks.newOwner(), ""));
                LockProvider waiter = LockProvider.open(PgTestSupport.urlOf(db, PgLocks.newOwner(), ""))) {
            try (LockHandle h = holder.lock("st").acquire()) {
                long start = System.nanoTime();
                LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> waiter.lock("st").acquire(Duration.ofSeconds(5)));
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(e.getMessage().startsWith("timed out after PT5S"), e.getMessage());
                assertTrue(tookMs >= 4_900, "the wait ended after " + tookMs + " ms, before its 5 s");
            }
        }
    }

    @Test
    void aCancelThatIsNotOurs_isABackendFailureNamingIt_notATimeout() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), "")); LockProvider waiter = LockProvider.open(url(owner, ""))) {
            try (LockHandle h = holder.lock("foreign-cancel").acquire()) {
                CompletableFuture<LockHandle> waited = waiter.lock("foreign-cancel").acquireAsync(Duration.ofSeconds(30));
                PgTestSupport.awaitWaiting(owner, 1);
                PgTestSupport.cancelWaitsOf(owner); // an administrator's pg_cancel_backend
                ExecutionException e = assertThrows(ExecutionException.class, () -> waited.get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof LockBackendException, String.valueOf(e.getCause()));
                assertTrue(e.getCause().getMessage().contains("canceling statement"), e.getCause().getMessage());
            }
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "transactionPooling=true"})
    void aWaiterWhoseSessionIsTerminated_waitsOnAFreshOne_andGetsTheLock(String options) throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), options)); LockProvider waiter = LockProvider.open(url(owner, options))) {
            LockHandle h = holder.lock("terminated-wait").acquire();
            CompletableFuture<LockHandle> mutex = waiter.lock("terminated-wait").acquireAsync(Duration.ofSeconds(30));
            PgTestSupport.awaitWaiting(owner, 1);
            PgLocks.terminateSessionsOf(owner); // an administrator (or a failover, or idle-session clean-up) ends the waiting session
            h.release();
            try (LockHandle got = mutex.get(20, TimeUnit.SECONDS)) { // ExecutionException: the wait failed instead of going on
                assertFalse(got.isLost());
                assertTrue(holder.lock("terminated-wait").tryAcquire().isEmpty(), "the waiter's lock does not exclude");
            }
            PgTestSupport.assertPoolBack("after a terminated wait", options.isEmpty() ? 1 : 0, waiter); // session mode keeps its shared session
        }
    }

    @Test
    void hugeTimeouts_wait_andAreWokenByARelease() throws Exception {
        String owner = PgLocks.newOwner();
        try (PostgresLockProvider waiter = (PostgresLockProvider) LockProvider.open(url(owner, ""));
                LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            for (Duration huge : List.of(Duration.ofDays(30), Duration.ofDays(365 * 300), Duration.ofSeconds(Long.MAX_VALUE))) {
                LockHandle h = holder.lock("huge").acquire();
                CompletableFuture<LockHandle> waited = waiter.lock("huge").acquireAsync(huge);
                PgTestSupport.awaitWaiting(owner, 1);
                assertFalse(waited.isDone(), "a " + huge + " wait ended at once: " + waited);
                h.release();
                waited.get(20, TimeUnit.SECONDS).release();
            }
            try (Connection a = PostgresBackend.jdbc(); Connection b = PostgresBackend.jdbc()) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                String name = "huge-tx-" + System.nanoTime();
                assertTrue(waiter.transactionLocks().lock(a, name, Duration.ofSeconds(5)) > 0);
                CompletableFuture<Long> bWaits = CompletableFuture.supplyAsync(() -> {
                    try {
                        return waiter.transactionLocks().lock(b, name, Duration.ofSeconds(Long.MAX_VALUE));
                    } catch (InterruptedException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                Thread.sleep(300);
                assertFalse(bWaits.isDone(), "a huge transaction-lock wait ended at once: " + bWaits);
                a.rollback();
                assertTrue(bWaits.get(20, TimeUnit.SECONDS) > 0);
                b.rollback();
            }
        }
    }

    @Test
    void maxAttempts_boundsWaitsTheServerPerforms() throws Exception {
        try (LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), ""));
                LockProvider waiter = LockProvider.open(url(PgLocks.newOwner(), "retry=fixed:50ms&maxAttempts=3"))) {
            try (LockHandle h = holder.lock("attempts").acquire(); LockHandle r = holder.readWriteLock("attempts").writeLock().acquire()) {
                for (DistributedLock lock : List.of(waiter.lock("attempts"), waiter.readWriteLock("attempts").readLock())) {
                    CompletableFuture<Object> forever = CompletableFuture.supplyAsync(() -> {
                        try {
                            return lock.acquire();
                        } catch (Exception e) {
                            return e;
                        }
                    });
                    Object outcome = forever.get(10, TimeUnit.SECONDS);
                    assertTrue(outcome instanceof LockTimeoutException, String.valueOf(outcome));
                    assertTrue(((Exception) outcome).getMessage().contains("attempt limit"), ((Exception) outcome).getMessage());
                }
            }
        }
    }

    @Test
    void tryAcquire_onAnUnreachableServer_failsFastWithTheServersReason() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String[][] cases = {
            {"postgresql://postgres@127.0.0.1:" + port + "/test", "refused"},
            {"postgresql://postgres@127.0.0.1:5432/no_such_db_dlock", "no_such_db_dlock"},
        };
        for (String[] c : cases) {
            try (LockProvider down = LockProvider.open(c[0])) {
                long start = System.nanoTime();
                LockBackendException e = assertThrows(LockBackendException.class, () -> down.lock("x").tryAcquire());
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(e.getMessage().contains(c[1]), e.getMessage());
                assertFalse(e.getMessage().contains("total="), "pool internals in: " + e.getMessage());
                assertTrue(tookMs < 2_000, "a no-wait try took " + tookMs + " ms against " + c[0]);
                start = System.nanoTime();
                assertThrows(LockBackendException.class, () -> down.lock("x").acquire(Duration.ofMillis(100)));
                tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs < 2_000, "a 100 ms acquire took " + tookMs + " ms against " + c[0]);
            }
        }
    }

    /** 20 readers queued behind a writer enter together when it leaves, whatever the pool size. */
    @Test
    void queuedReaders_areAdmittedTogether() throws Exception {
        int readers = 20;
        try (LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), "")); LockProvider locks = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            LockHandle writer = holder.readWriteLock("readers").writeLock().acquire();
            CountDownLatch allIn = new CountDownLatch(readers);
            ExecutorService pool = Executors.newFixedThreadPool(readers);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < readers; i++) {
                    results.add(pool.submit(() -> {
                        try (LockHandle r = locks.readWriteLock("readers").readLock().acquire(Duration.ofSeconds(60))) {
                            allIn.countDown();
                            return allIn.await(20, TimeUnit.SECONDS); // hold until every reader is in
                        }
                    }));
                }
                Thread.sleep(500);
                writer.release();
                for (Future<Boolean> r : results) assertTrue(r.get(60, TimeUnit.SECONDS), "not every queued reader got in while the others held");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** transactionPooling: 100 callers of one LockSet queue (one connection per held lock) instead of failing for connections. */
    @Test
    void transactionPooling_aLockSetWithAHundredWaiters_queues() throws Exception {
        try (LockProvider locks = LockProvider.open(url(PgLocks.newOwner(), "transactionPooling=true"))) {
            int callers = 100;
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<?>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    results.add(pool.submit(() -> {
                        try (LockSet both = LockSet.acquireAll(Duration.ofSeconds(120), locks.lock("set-a"), locks.lock("set-b"))) {
                            if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
                            Thread.sleep(2);
                            inside.decrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> r : results) r.get(180, TimeUnit.SECONDS);
                assertEquals(0, overlaps.get());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void builder_subMillisecondDurations_areRejectedAtOnce_notAfterThePoolExists() {
        // keepAlive(500 µs) passed, then build() threw from scheduleWithFixedDelay(0 ms) with its HikariCP pool already open
        for (String argument : List.of("keepAlive", "timeout")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                PostgresLockProvider.Builder b = PostgresLockProvider.builder();
                if (argument.equals("keepAlive")) b.keepAlive(Duration.ofNanos(500_000));
                else b.timeout(Duration.ofNanos(500_000));
            });
            assertTrue(e.getMessage().contains(argument), e.getMessage());
        }
    }

    @Test
    void builder_rejectsATooSmallPool_andDoubleSetOptions() {
        assertThrows(IllegalArgumentException.class, () -> PostgresLockProvider.builder().poolSize(1));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().poolSize(4).poolSize(5));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().prefix("a").prefix("b"));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().keepAlive(Duration.ofSeconds(1)).keepAlive(Duration.ofSeconds(2)));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().timeout(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(2)));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().ownerId("a").ownerId("b"));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().sequence("a").sequence("b"));
        assertThrows(IllegalStateException.class, () -> PostgresLockProvider.builder().transactionPooling(true).transactionPooling(false));
        assertThrows(IllegalArgumentException.class, () -> PostgresLockProvider.builder().keepAlive(Duration.ofDays(365 * 1000)));
    }

    @Test
    void aCustomOwner_stillShowsHostAndPidInHolders() throws Exception {
        try (LockProvider locks = LockProvider.open(url("billing-worker", ""))) {
            try (LockHandle h = locks.lock("custom-owner").acquire()) {
                List<LockHolder> holders = locks.holders("custom-owner");
                assertEquals(1, holders.size());
                assertEquals("billing-worker", holders.get(0).ownerId());
                assertEquals(java.util.OptionalLong.of(OwnerIds.pid()), holders.get(0).pid());
                assertEquals(java.util.Optional.of(OwnerIds.localHost()), holders.get(0).host());
            }
        }
    }
}
