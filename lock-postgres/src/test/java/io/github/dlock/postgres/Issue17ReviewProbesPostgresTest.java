package io.github.dlock.postgres;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dlock.LockBackendException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Review round 17 probes of {@link PostgresFence}, on private clusters (initdb + postgres, stopped by PID).
 */
class Issue17ReviewProbesPostgresTest {

    /**
     * A logged counter that dlock could not make unlogged (the provider's role does not own it,
     * or PostgreSQL was older than 15 and has since been upgraded) runs the epoch scheme, so it
     * holds {@code epoch << 30 | count}. When a later provider may alter it,
     * {@code ALTER SEQUENCE ... SET UNLOGGED} copies the <em>current</em> value into the init
     * fork, and crash recovery resets the counter to that value: a value inside a durable epoch,
     * which {@link PostgresFence#isToken} accepts, so tokens handed out before the crash are
     * handed out again.
     */
    @Test
    @Timeout(240)
    void aUsedLoggedCounterMadeUnlogged_crashRecoveryHandsOutTokensAgain() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres("synchronous_commit=off")) {
            try (Connection admin = DriverManager.getConnection(pg.jdbcUrl(), "postgres", null); Statement s = admin.createStatement()) {
                s.execute("CREATE ROLE app LOGIN");
                s.execute("GRANT CREATE, USAGE ON SCHEMA public TO app");
                // the counter and epoch table exist already, owned by someone else (e.g. created by a DBA or an older deployment)
                s.execute("CREATE SEQUENCE fence");
                s.execute("CREATE TABLE fence_epoch (one boolean PRIMARY KEY DEFAULT true CHECK (one), epoch bigint NOT NULL)");
                s.execute("INSERT INTO fence_epoch (epoch) VALUES (0)");
                s.execute("GRANT ALL ON SEQUENCE fence TO app");
                s.execute("GRANT ALL ON TABLE fence_epoch TO app");
            }
            String appUrl = "postgresql://app@127.0.0.1:" + pg.port + "/postgres?sequence=fence&poolSize=4";
            long last = 0;
            try (LockProvider asApp = LockProvider.open(appUrl)) { // may not alter the counter: it stays logged
                for (int i = 0; i < 50; i++) last = rising(last, token(asApp, "a"));
            }
            System.out.println("probe: tokens as app (logged counter) up to " + last);
            assertTrue(persistence(pg).equals("p"), "the counter should still be logged");
            try (LockProvider asOwner = LockProvider.open(pg.url() + "?sequence=fence&poolSize=4")) { // may alter: makes it unlogged
                for (int i = 0; i < 50; i++) last = rising(last, token(asOwner, "b"));
                assertTrue(persistence(pg).equals("u"), "the owner's provider should have made the counter unlogged");
                System.out.println("probe: tokens as owner (unlogged now) up to " + last);
                pg.crashOneBackend(); // crash recovery resets unlogged relations to their init fork
                long after = retrying(() -> token(asOwner, "c"));
                System.out.println("probe: first token after the crash " + after + " (epoch " + (after >>> 30) + ", count "
                        + (after & ((1L << 30) - 1)) + "); last before " + last + " (epoch " + (last >>> 30) + ", count "
                        + (last & ((1L << 30) - 1)) + ")");
                assertTrue(after > last, "fencing token " + after + " after the crash is not above " + last + " handed out before it");
            }
        }
    }

    /** Held up check: an unlogged counter with synchronous_commit=off server-wide keeps rising across a backend crash and an immediate shutdown. */
    @Test
    @Timeout(240)
    void unloggedCounter_synchronousCommitOff_tokensRiseAcrossCrashes() throws Exception {
        try (PrivatePostgres pg = new PrivatePostgres("synchronous_commit=off")) {
            long last = 0;
            try (LockProvider locks = LockProvider.open(pg.url() + "?sequence=select&poolSize=4")) {
                for (int i = 0; i < 30; i++) last = rising(last, token(locks, "x"));
                pg.crashOneBackend();
                for (int i = 0; i < 30; i++) last = rising(last, retrying(() -> token(locks, "x")));
            }
            pg.stopImmediately();
            pg.start();
            try (LockProvider locks = LockProvider.open(pg.url() + "?sequence=select&poolSize=4")) {
                for (int i = 0; i < 30; i++) last = rising(last, retrying(() -> token(locks, "x")));
            }
        }
    }

    private static long token(LockProvider locks, String name) {
        try (LockHandle h = locks.lock(name).tryAcquire().orElseThrow()) {
            return h.fencingToken();
        }
    }

    private static long rising(long last, long token) {
        assertTrue(token > last, "fencing token " + token + " is not above the previous one " + last);
        return token;
    }

    private static String persistence(PrivatePostgres pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", null);
                ResultSet rs = c.createStatement().executeQuery("SELECT relpersistence FROM pg_class WHERE relname = 'fence'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    interface Draw {
        long draw() throws Exception;
    }

    private static long retrying(Draw d) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return d.draw();
            } catch (LockBackendException | java.util.NoSuchElementException recovering) {
                if (System.nanoTime() > end) throw recovering;
                Thread.sleep(100);
            }
        }
    }
}
