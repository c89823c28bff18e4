package io.github.dlock.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fencing tokens without a WAL flush per acquisition: {@code token = epoch << 30 | counter}.
 *
 * <ul>
 *   <li>The counter is an <em>unlogged</em> sequence ({@code sequence}, PostgreSQL 15+): drawing
 *       it writes no WAL, so the acquiring statement commits without waiting for the disk. Crash
 *       recovery resets it to its start (after a backend crash, which reinitializes the server
 *       without restarting the postmaster, as after an immediate shutdown), and a promoted
 *       replica starts with it reset.
 *   <li>The epoch is a one-row logged table ({@code sequence_epoch}), changed only by
 *       {@link #newEpoch} with a synchronous commit. The sequence holds {@code epoch << 30} plus
 *       the count, so a reset sequence yields a value below {@code 1 << 30}: that is how a reset is
 *       seen, by whichever acquisition first draws from it.
 *   <li>A drawn value that is not a token of the current epoch ({@link #isToken}: reset, or the
 *       counter within 2^20 of its end) is never handed out: the holder asks for a new epoch and
 *       draws again. The new epoch exceeds the durable one, the epoch the counter had reached,
 *       and the server clock in seconds, and is committed (flushed) <em>before</em> the counter
 *       moves into it, under the epoch row's lock so that concurrent starters cannot move the
 *       counter back.
 * </ul>
 *
 * <p>Guarantees: tokens never repeat or go back across backend crashes, immediate shutdowns and
 * restarts, whatever {@code synchronous_commit} is: the epoch commit sets it on for itself, and
 * with a logged counter every drawing transaction does too ({@code set_config(..., true)} in
 * the drawing expression: a logged sequence is only as durable as the commit that follows its
 * WAL record; in a caller's transaction this makes that transaction's commit synchronous). After
 * promotion of a replica they keep rising if the replica had the latest epoch (synchronous
 * replication), or otherwise if the new primary's clock is ahead of the second in which the last
 * lost epoch began (epochs follow the server clock; failover takes longer than that). Counter
 * values handed out in the moments before a crash are above every earlier token and below every
 * later one, because the epoch they belong to was durable before any of them was drawn.
 *
 * <p>Without unlogged sequences (PostgreSQL 14 and older, or a logged sequence dlock may not
 * alter) the same scheme runs on a logged sequence: correct, but an acquisition then waits for a
 * WAL flush every 32 values, as before.
 *
 * <p>Starting an epoch is bounded: each of its transactions runs with {@code lock_timeout} and
 * {@code statement_timeout} set to the provider's {@code timeout}, so a stalled server or a
 * session that keeps the epoch row locked fails the acquisition (which gives its lock back)
 * instead of hanging it. A failure on the lent connection is reported as an
 * {@link EpochFailure}, which says nothing about the holder's own connection. An interrupt
 * of the acquiring thread while the epoch waits for the row takes effect when that wait ends
 * (at most the provider's {@code timeout}).
 *
 * <p>Identifiers are always double-quoted in SQL (they are validated lower-case names, so quoting
 * changes nothing but lets reserved words such as {@code select} work).
 *
 * <p>Thread safety: immutable apart from whether the counter is logged (found once, by
 * {@link #create}, before any draw); every method runs on the connection it is given, on the
 * caller's thread.
 */
final class PostgresFence {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresFence.class);
    /** Bits of a token that count acquisitions within an epoch (about a billion per epoch). */
    static final int COUNTER_BITS = 30;
    private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;
    /**
     * A drawn counter at or above this starts a new epoch instead of becoming a token: 2^20 short
     * of the end, so the values drawn while the new epoch is being committed (at most one per
     * session, each of which then waits for that epoch) cannot run into the next epoch's range.
     */
    static final long COUNTER_LIMIT = COUNTER_MASK - (1L << 20);
    private static final long MAX_EPOCH = Long.MAX_VALUE >>> COUNTER_BITS;
    private static final int MAX_DRAWS = 5;
    private static final String UNDEFINED_TABLE = "42P01";

    private final String sequence;
    private final String sequenceSql;
    private final String epochTableSql;
    private final long timeoutMs;
    /** The drawing expression; the synchronous-commit form once {@link #create} found the counter logged. */
    private volatile String nextval;

    /**
     * @param sequence a validated identifier ({@code name} or {@code schema.name}, lower case)
     * @param timeout bounds each statement of a new epoch ({@code lock_timeout}, {@code statement_timeout})
     */
    PostgresFence(String sequence, java.time.Duration timeout) {
        this.sequence = sequence;
        this.sequenceSql = quoted(sequence);
        this.epochTableSql = quoted(sequence + "_epoch");
        this.timeoutMs = Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        this.nextval = "nextval('" + sequenceSql + "')";
    }

    /** {@code a.b} as {@code "a"."b"}: the identifier validation allows no double quotes, so none are escaped. */
    static String quoted(String identifier) {
        StringBuilder b = new StringBuilder();
        for (String part : identifier.split("\\.", -1)) {
            if (b.length() > 0) b.append('.');
            b.append('"').append(part).append('"');
        }
        return b.toString();
    }

    /** A failure to start a new epoch on a lent connection: the lock holder's own connection is fine. */
    static final class EpochFailure extends SQLException {
        private static final long serialVersionUID = 1L;

        EpochFailure(String reason, Throwable cause) {
            super(reason, (String) null, cause);
        }
    }

    /** The counter's name (the builder's {@code sequence}). */
    String sequence() {
        return sequence;
    }

    /** The SQL expression that draws a value; check it with {@link #checked} before handing it out. */
    String nextval() {
        return nextval;
    }

    /** Whether {@code value} drawn from the counter is a token: in a durable epoch and short of the counter's limit. */
    static boolean isToken(long value) {
        return value > COUNTER_MASK && (value & COUNTER_MASK) < COUNTER_LIMIT;
    }

    /**
     * {@code drawn} if it is a token (or 0: nothing was granted); otherwise starts a new epoch on
     * {@code epochConnection} and draws again on {@code holder}, the connection that holds the
     * lock, until a token comes.
     *
     * @param epochConnection supplies an auto-commit connection for {@link #newEpoch} and takes it back
     * @throws EpochFailure if the epoch could not be started (on the lent connection); the caller
     *     gives the lock back on {@code holder}, which is still usable
     * @throws SQLException if drawing again on {@code holder} failed; the caller gives the lock back
     */
    long checked(long drawn, Connection holder, EpochConnection epochConnection) throws SQLException {
        for (int draws = 1; drawn != 0 && !isToken(drawn); draws++) {
            if (draws > MAX_DRAWS) {
                throw new SQLException("fencing counter " + sequence + " kept yielding values outside its epoch (" + drawn
                        + "): is something else resetting it?");
            }
            try {
                epochConnection.run(this::newEpoch);
            } catch (SQLException e) {
                throw new EpochFailure("could not start a new fencing epoch for " + sequence + " (the counter yielded " + drawn + "): "
                        + e.getMessage(), e);
            }
            try (PreparedStatement ps = holder.prepareStatement("SELECT " + nextval); ResultSet rs = ps.executeQuery()) {
                rs.next();
                drawn = rs.getLong(1);
            }
        }
        return drawn;
    }

    /** Lends a connection for one piece of work, and takes it back (or discards it if the work failed). */
    interface EpochConnection {
        void run(ConnectionWork work) throws SQLException;
    }

    /** Work on a borrowed auto-commit connection. */
    interface ConnectionWork {
        void run(Connection c) throws SQLException;
    }

    /**
     * Creates the epoch table (one row, epoch 0) and the unlogged counter if absent; converts a
     * logged counter from an earlier version to unlogged when allowed, restarting it in the same
     * transaction (so the value crash recovery resets it to reads as reset, and the next draw
     * starts a new epoch). Idempotent, safe to race.
     */
    void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + epochTableSql + " (one boolean PRIMARY KEY DEFAULT true CHECK (one), epoch bigint NOT NULL)");
            s.execute("INSERT INTO " + epochTableSql + " (epoch) VALUES (0) ON CONFLICT DO NOTHING");
            if (c.getMetaData().getDatabaseMajorVersion() < 15) {
                LOG.info("PostgreSQL before 15 has no unlogged sequences: fencing counter {} is logged, so acquisitions wait for WAL flushes", sequence);
                s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequenceSql);
                logged();
                return;
            }
            s.execute("CREATE UNLOGGED SEQUENCE IF NOT EXISTS " + sequenceSql);
            String persistence;
            try (ResultSet rs = s.executeQuery("SELECT relpersistence FROM pg_class WHERE oid = '" + sequenceSql + "'::regclass")) {
                rs.next();
                persistence = rs.getString(1);
            }
            if ("p".equals(persistence)) {
                // SET UNLOGGED copies the counter's current value into the init fork, to which crash
                // recovery resets it: a value inside a durable epoch, which would be handed out again.
                // Restarted first (in the same transaction), the reset value reads as reset.
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    s.execute("ALTER SEQUENCE " + sequenceSql + " RESTART");
                    s.execute("ALTER SEQUENCE " + sequenceSql + " SET UNLOGGED");
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    LOG.warn("Fencing counter {} is a logged sequence and could not be made unlogged ({}): tokens stay correct, "
                            + "but acquisitions wait for WAL flushes", sequence, e.getMessage());
                    logged();
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
        }
    }

    /** The counter is logged: each drawing transaction commits synchronously (see the class comment). */
    private void logged() {
        nextval = "(CASE WHEN set_config('synchronous_commit', 'on', true) = 'on' THEN nextval('" + sequenceSql + "') END)";
    }

    /**
     * Starts a new epoch unless the counter is in a durable epoch already (another session did
     * it). First transaction, committed synchronously: lock the epoch row, set it above the
     * durable epoch, the epoch the counter reached, and the server clock in seconds. Second, under
     * the row's lock again: move the counter up to the durable epoch (never down). A failure
     * between the two leaves the counter outside any epoch, so the next drawer starts another
     * epoch: epochs may be skipped, never reused.
     *
     * @param c an auto-commit connection; it is back in auto-commit mode when this returns normally
     */
    void newEpoch(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            bounded(s);
            s.execute("SET LOCAL synchronous_commit = on");
            long durable = durableEpochForUpdate(s);
            long counter = counter(s);
            if (isToken(counter) && counter >>> COUNTER_BITS <= durable) {
                c.rollback(); // another session started it meanwhile
            } else {
                long seconds;
                try (ResultSet rs = s.executeQuery("SELECT extract(epoch FROM clock_timestamp())::bigint")) {
                    rs.next();
                    seconds = rs.getLong(1);
                }
                long next = Math.max(Math.max(durable + 1, (counter >>> COUNTER_BITS) + 1), seconds);
                if (next > MAX_EPOCH) throw new SQLException("fencing epochs of " + sequence + "_epoch are exhausted (" + durable + ")");
                s.execute("UPDATE " + epochTableSql + " SET epoch = " + next);
                c.commit(); // flushed: from here on no later epoch can be lower
                LOG.info("Fencing tokens of {} continue in epoch {} (the counter was at {})", sequence, next, counter);
            }
            bounded(s);
            long current = durableEpochForUpdate(s);
            if (counter(s) < current << COUNTER_BITS) {
                try (ResultSet rs = s.executeQuery("SELECT setval('" + sequenceSql + "', " + (current << COUNTER_BITS) + ")")) {
                    rs.next();
                }
            }
            c.commit();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().equals(UNDEFINED_TABLE)) {
                throw new SQLException("fencing epoch table " + sequence + "_epoch is missing: " + e.getMessage(), e.getSQLState(), e);
            }
            throw e;
        }
        c.setAutoCommit(true);
    }

    /** Bounds the statements of the transaction just begun by the provider's timeout. */
    private void bounded(Statement s) throws SQLException {
        s.execute("SET LOCAL lock_timeout = " + timeoutMs);
        s.execute("SET LOCAL statement_timeout = " + timeoutMs);
    }

    private long durableEpochForUpdate(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT epoch FROM " + epochTableSql + " FOR UPDATE")) {
            if (!rs.next()) throw new SQLException("fencing epoch table " + sequence + "_epoch has no row");
            return rs.getLong(1);
        }
    }

    /** The counter's last value: what a reset sequence or one near its limit shows. */
    private long counter(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT last_value FROM " + sequenceSql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
