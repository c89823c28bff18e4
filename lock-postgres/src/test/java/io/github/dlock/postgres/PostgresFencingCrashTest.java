package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fencing tokens never repeat or go back across the crashes PostgreSQL recovers from: a backend
 * killed with SIGKILL (the postmaster reinitializes and resets unlogged relations without
 * restarting, so its start time is no epoch) and an immediate shutdown followed by a restart.
 * Each runs on a private cluster ({@code initdb} + {@code postgres}), never on the shared server.
 */
class PostgresFencingCrashTest {

    /** Every path that draws a token: try, read lock (and a second reader), semaphore, a wait won in the server, a caller's transaction. */
    private static long drawTokens(LockProvider locks, String jdbcUrl, long last) throws Exception {
        for (int i = 0; i < 20; i++) {
            int kind = i;
            last = rising(last, retrying(() -> {
                List<LockHandle> held = new ArrayList<>();
                try {
                    switch (kind % 4) {
                        case 0 -> held.add(locks.lock("fence-m").acquire(Duration.ofSeconds(10)));
                        case 1 -> {
                            held.add(locks.readWriteLock("fence-rw").readLock().acquire(Duration.ofSeconds(10)));
                            held.add(locks.readWriteLock("fence-rw").readLock().acquire(Duration.ofSeconds(10)));
                        }
                        case 2 -> held.add(locks.semaphore("fence-s", 2).acquire(Duration.ofSeconds(10)));
                        default -> held.add(wonByWaiting(locks, jdbcUrl));
                    }
                    return held.stream().mapToLong(LockHandle::fencingToken).toArray();
                } finally {
                    held.forEach(LockHandle::release);
                }
            }));
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", null)) {
            c.setAutoCommit(false);
            last = rising(last, new long[] {locks instanceof PostgresLockProvider p ? p.transactionLocks().lock(c, "fence-tx", Duration.ofSeconds(10)) : 0});
            c.commit();
        }
        return last;
    }

    /** A lock taken by a waiter blocked in the server (the holder releases once the waiter has started). */
    private static LockHandle wonByWaiting(LockProvider locks, String jdbcUrl) throws Exception {
        LockHandle holder = locks.lock("fence-w").acquire(Duration.ofSeconds(10));
        CompletableFuture<LockHandle> waiter = locks.lock("fence-w").acquireAsync(Duration.ofSeconds(20));
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", null); Statement s = c.createStatement()) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!waiter.isDone()) { // until the waiter blocks in the server (or fails, which get() reports)
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) {
                    rs.next();
                    if (rs.getInt(1) > 0) break;
                }
                assertTrue(System.nanoTime() < end, "the waiter never blocked in the server");
                Thread.sleep(10);
            }
        } finally {
            holder.release();
        }
        return waiter.get(20, TimeUnit.SECONDS);
    }

    private static long rising(long last, long[] tokens) {
        for (long token : tokens) {
            assertTrue(token > last, "fencing token " + token + " is not above the previous one " + last);
            last = token;
        }
        return last;
    }

    /** The first calls after a crash may meet the dead sessions (and the pool's backoff); the tokens are what is under test here. */
    private static long[] retrying(Callable<long[]> call) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return call.call();
            } catch (LockBackendException stillRecovering) {
                if (System.nanoTime() > end) throw stillRecovering;
                Thread.sleep(100);
            }
        }
    }

    @Test
    void tokensKeepRising_acrossABackendCrash_andAnImmediateShutdownAndRestart() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres()) {
            long last;
            try (LockProvider locks = LockProvider.open(pg.url() + "?poolSize=6")) {
                last = drawTokens(locks, pg.jdbcUrl(), 0);
                pg.crashOneBackend();
                last = drawTokens(locks, pg.jdbcUrl(), last); // the same provider: its sessions died with the crash
                pg.crashOneBackend();
                last = drawTokens(locks, pg.jdbcUrl(), last);
            }
            pg.stopImmediately();
            pg.start();
            try (LockProvider locks = LockProvider.open(pg.url() + "?poolSize=6")) {
                drawTokens(locks, pg.jdbcUrl(), last);
            }
        }
    }

    @Test
    void afterACrash_eightThreadsAtOnce_getDistinctTokensAboveEveryEarlierOne_inOneNewEpoch() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres(); LockProvider locks = LockProvider.open(pg.url() + "?poolSize=20")) {
            long before = drawTokens(locks, pg.jdbcUrl(), 0);
            long epochBefore = epoch(pg);
            pg.crashOneBackend();
            CyclicBarrier start = new CyclicBarrier(8);
            List<CompletableFuture<long[]>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                CompletableFuture<long[]> f = new CompletableFuture<>();
                new Thread(() -> {
                    try {
                        start.await();
                        f.complete(retrying(() -> {
                            try (LockHandle h = locks.lock("after-crash-" + thread).acquire(Duration.ofSeconds(10))) {
                                return new long[] {h.fencingToken()};
                            }
                        }));
                    } catch (Throwable e) {
                        f.completeExceptionally(e);
                    }
                }).start();
                all.add(f);
            }
            List<Long> tokens = new ArrayList<>();
            for (CompletableFuture<long[]> f : all) tokens.add(f.get(60, TimeUnit.SECONDS)[0]);
            assertEquals(8, tokens.stream().distinct().count(), "tokens repeat: " + tokens);
            for (long t : tokens) assertTrue(t > before, "token " + t + " after the crash is not above " + before + " from before it");
            assertTrue(epoch(pg) > epochBefore, "the crash reset the counter, so a new epoch must have begun");
            assertEquals(1, tokens.stream().map(t -> t >>> PostgresFence.COUNTER_BITS).distinct().count(),
                    "eight threads meeting the reset at once should start one epoch between them, not one each: " + tokens);
        }
    }

    @Test
    void aCounterNearTheEndOfItsEpoch_movesToTheNextEpoch_beforeItCouldRunIntoIt() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres(); LockProvider locks = LockProvider.open(pg.url() + "?poolSize=4")) {
            long last = drawTokens(locks, pg.jdbcUrl(), 0);
            long epoch = last >>> PostgresFence.COUNTER_BITS;
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", null); Statement s = c.createStatement()) {
                s.execute("SELECT setval('dlock_fence', " + ((epoch << PostgresFence.COUNTER_BITS) + PostgresFence.COUNTER_LIMIT - 3) + ")");
            }
            last = drawTokens(locks, pg.jdbcUrl(), last);
            assertTrue(last >>> PostgresFence.COUNTER_BITS > epoch, "still in epoch " + epoch + ": " + last);
            assertTrue(epoch(pg) >= last >>> PostgresFence.COUNTER_BITS, "the epoch in use must be the durable one or below");
        }
    }

    private static long epoch(PrivatePostgres pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", null);
                ResultSet rs = c.createStatement().executeQuery("SELECT epoch FROM dlock_fence_epoch")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
