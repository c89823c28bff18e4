package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Killed sessions, many locks on a small pool, timeouts, deadlocks, bad URLs: checked against pg_locks. */
class PostgresFaultTest {

    private static String url(String owner, String options) {
        String base = PostgresBackend.baseUrl();
        return base + (base.contains("?") ? "&" : "?") + "prefix=faulttest&owner=" + owner + (options.isEmpty() ? "" : "&" + options);
    }

    @Test
    void terminatedBackend_completesLostWithinTheKeepAlive_andAnotherClientAcquires() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider victim = LockProvider.open(url(owner, "keepAlive=500ms")); LockProvider other = LockProvider.open(url(PgLocks.newOwner(), ""))) {
            LockHandle shared = victim.lock("terminated-a").tryAcquire().orElseThrow(); // on the multiplexed session
            LockHandle blocker = other.lock("terminated-b").acquire();
            CompletableFuture<LockHandle> waited = victim.lock("terminated-b").acquireAsync(Duration.ofSeconds(20)); // a dedicated session
            blocker.release();
            LockHandle dedicated = waited.get(20, TimeUnit.SECONDS);
            PgLocks.terminateSessionsOf(owner);
            shared.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            dedicated.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            other.lock("terminated-a").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release();
            other.lock("terminated-b").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release();
            shared.release(); // releasing lost handles does not throw
            dedicated.release();
            victim.lock("terminated-a").tryAcquire(Duration.ofSeconds(10)).orElseThrow().release(); // and the provider recovers
            PgTestSupport.assertPoolBack("after terminated sessions", 1, victim); // the shared session only: nothing leaked
        }
    }

    @Test
    void thousandTryAcquiredLocks_shareOneSessionOfAPoolOfFour_andAreAllReleased() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, "poolSize=4"))) {
            List<LockHandle> held = new ArrayList<>();
            for (int i = 0; i < 1000; i++) held.add(locks.lock("many-" + i).tryAcquire().orElseThrow());
            assertEquals(1000, PgLocks.advisoryLocksOf(owner, true));
            assertEquals(1, PgLocks.sessionsOf(owner), "1,000 try-acquired locks must share one connection");
            for (LockHandle h : held) h.release();
            assertEquals(0, PgLocks.advisoryLocksOf(owner, true));
        }
    }

    @Test
    void acquireWithATimeout_onAHeldLock_throwsAndLeavesNothingInPgLocks() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), "")); LockProvider waiter = LockProvider.open(url(owner, ""))) {
            try (LockHandle h = holder.lock("timeout").acquire()) {
                long start = System.nanoTime();
                assertThrows(LockTimeoutException.class, () -> waiter.lock("timeout").acquire(Duration.ofMillis(200)));
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
                assertEquals(0, PgLocks.advisoryLocksOf(owner, true), "a timed-out acquire left a lock held");
                assertEquals(0, PgLocks.advisoryLocksOf(owner, false), "a timed-out acquire left a waiter queued");
            }
        }
    }

    /**
     * Holds live on the shared session while waits run on sessions of their own, so the server
     * sees no cycle when two clients each wait for the other's lock: timeouts end it, and leave
     * nothing behind. (LockSet.acquireAll's global order avoids such cycles in the first place.)
     */
    @Test
    void crossedWaitsOfTwoClients_endByTimeout_andLeaveNothingHeld() throws Exception {
        String ownerA = PgLocks.newOwner();
        String ownerB = PgLocks.newOwner();
        try (LockProvider a = LockProvider.open(url(ownerA, "")); LockProvider b = LockProvider.open(url(ownerB, ""))) {
            try (LockHandle hx = a.lock("dl-x").acquire(); LockHandle hy = b.lock("dl-y").acquire()) {
                CompletableFuture<LockHandle> aWaitsForY = a.lock("dl-y").acquireAsync(Duration.ofMillis(700));
                CompletableFuture<LockHandle> bWaitsForX = b.lock("dl-x").acquireAsync(Duration.ofMillis(700));
                for (CompletableFuture<LockHandle> f : List.of(aWaitsForY, bWaitsForX)) {
                    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
                    assertTrue(e.getCause() instanceof LockTimeoutException, String.valueOf(e.getCause()));
                }
                assertEquals(1, PgLocks.advisoryLocksOf(ownerA, true));
                assertEquals(0, PgLocks.advisoryLocksOf(ownerA, false) + PgLocks.advisoryLocksOf(ownerB, false), "a waiter stayed queued");
            }
        }
    }

    @Test
    void badUrls_andUnreachableServers_failClearly() {
        for (String bad : new String[] {"postgresql://", "postgresql:///test", "postgresql://127.0.0.1", "postgresql://127.0.0.1:99999/test",
                "postgresql://127.0.0.1/a/b", "postgresql://127.0.0.1/test?colour=1", "postgresql://127.0.0.1/test?sequence=Robert');DROP",
                "postgresql://127.0.0.1/test?poolSize=1"}) {
            assertThrows(IllegalArgumentException.class, () -> LockProvider.open(bad).close(), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LockProvider.open("postgresql://u:hunter2@127.0.0.1/test?colour=1"));
        assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
        try (LockProvider down = LockProvider.open("postgresql://postgres@127.0.0.1:1/test?timeout=1s")) {
            long start = System.nanoTime();
            assertThrows(LockBackendException.class, () -> down.lock("x").tryAcquire());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        }
        try (LockProvider noDb = LockProvider.open("postgresql://postgres@127.0.0.1:5432/no_such_database_dlock?timeout=1s")) {
            LockBackendException missing = assertThrows(LockBackendException.class, () -> noDb.lock("x").tryAcquire());
            assertTrue(missing.getMessage().contains("no_such_database_dlock"), missing.getMessage());
        }
    }

    @Test
    void explicitAdvisoryKeys_interoperateWithRawAdvisoryLockUsers() throws Exception {
        long key = 7_000_000_000L + (System.nanoTime() & 0xffff);
        try (PostgresLockProvider locks = (PostgresLockProvider) LockProvider.open(url(PgLocks.newOwner(), ""));
                Connection raw = PostgresBackend.jdbc()) {
            try (LockHandle h = locks.advisoryLock(key).acquire()) {
                assertEquals("advisory:" + key, h.name());
                assertEquals(false, tryRaw(raw, "SELECT pg_try_advisory_lock(?)", key), "a raw user got the key dlock holds");
            }
            assertEquals(true, tryRaw(raw, "SELECT pg_try_advisory_lock(?)", key));
            assertEquals(Optional.empty(), locks.advisoryLock(key).tryAcquire(), "dlock got the key a raw user holds");
            tryRaw(raw, "SELECT pg_advisory_unlock(?)", key);
            locks.advisoryLock(key).tryAcquire().orElseThrow().release();
        }
    }

    private static boolean tryRaw(Connection c, String sql, long key) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Test
    void callersPoolExhaustedByTheApplication_failsClearlyWithinTheCallersTimeout() throws Exception {
        java.net.URI u = java.net.URI.create(PostgresBackend.baseUrl().replaceFirst("^jdbc:", ""));
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getPath());
        config.setUsername(u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0]);
        config.setMaximumPoolSize(3);
        config.setConnectionTimeout(30_000); // the application's generous setting must not stretch our deadline
        try (com.zaxxer.hikari.HikariDataSource appPool = new com.zaxxer.hikari.HikariDataSource(config);
                LockProvider holder = LockProvider.open(url(PgLocks.newOwner(), ""));
                PostgresLockProvider locks = PostgresLockProvider.builder().dataSource(appPool).prefix("faulttest").build()) {
            LockHandle held = holder.lock("exhausted").acquire();
            locks.lock("warm-up").tryAcquire().orElseThrow().release(); // the shared session takes one connection
            List<Connection> taken = new ArrayList<>();
            try {
                while (taken.size() < 2) taken.add(appPool.getConnection()); // the application takes the rest
                long start = System.nanoTime();
                LockBackendException e = assertThrows(LockBackendException.class, () -> locks.lock("exhausted").acquire(Duration.ofMillis(300)));
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
                assertTrue(tookMs < 5_000, "waited " + tookMs + " ms for a 300 ms acquire");
            } finally {
                for (Connection c : taken) c.close();
            }
            held.release();
            locks.lock("exhausted").acquire(Duration.ofSeconds(10)).release();
        }
    }

    @Test
    void holders_reportTheOwnerAndMode_fromPgLocks() throws Exception {
        String owner = PgLocks.newOwner();
        try (LockProvider locks = LockProvider.open(url(owner, ""))) {
            try (LockHandle w = locks.readWriteLock("hold-rw").writeLock().acquire()) {
                assertEquals(List.of(owner), locks.holders("hold-rw").stream().map(h -> h.ownerId()).toList());
                assertEquals(io.github.dlock.LockMode.WRITE, locks.holders("hold-rw").get(0).mode());
            }
            assertEquals(Optional.empty(), locks.holders("hold-rw").stream().findAny());
        }
    }
}
