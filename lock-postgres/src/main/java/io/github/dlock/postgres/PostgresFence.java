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
 * restarts, whatever {@code synchronous_commit} is (the epoch commit sets it on for itself). After
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
 * <p>Thread safety: stateless apart from the identifiers; every method runs on the connection
 * it is given, on the caller's thread.
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
    private static final String SYNTAX_ERROR = "42601";

    private final String sequence;
    private final String epochTable;
    private final String nextval;

    /** @param sequence a validated identifier ({@code name} or {@code schema.name}) */
    PostgresFence(String sequence) {
        this.sequence = sequence;
        this.epochTable = sequence + "_epoch";
        this.nextval = "nextval('" + sequence + "')";
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
     * @throws SQLException if drawing or starting the epoch failed; the caller gives the lock back
     */
    long checked(long drawn, Connection holder, EpochConnection epochConnection) throws SQLException {
        for (int draws = 1; drawn != 0 && !isToken(drawn); draws++) {
            if (draws > MAX_DRAWS) {
                throw new SQLException("fencing counter " + sequence + " kept yielding values outside its epoch (" + drawn
                        + "): is something else resetting it?");
            }
            epochConnection.run(this::newEpoch);
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
     * logged counter from an earlier version to unlogged when allowed. Idempotent, safe to race.
     */
    void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + epochTable + " (one boolean PRIMARY KEY DEFAULT true CHECK (one), epoch bigint NOT NULL)");
            s.execute("INSERT INTO " + epochTable + " (epoch) VALUES (0) ON CONFLICT DO NOTHING");
            try {
                s.execute("CREATE UNLOGGED SEQUENCE IF NOT EXISTS " + sequence);
            } catch (SQLException e) {
                if (!SYNTAX_ERROR.equals(e.getSQLState())) throw e;
                LOG.info("PostgreSQL before 15 has no unlogged sequences: fencing counter {} is logged, so acquisitions wait for WAL flushes", sequence);
                s.execute("CREATE SEQUENCE IF NOT EXISTS " + sequence);
                return;
            }
            String persistence;
            try (ResultSet rs = s.executeQuery("SELECT relpersistence FROM pg_class WHERE oid = '" + sequence + "'::regclass")) {
                rs.next();
                persistence = rs.getString(1);
            }
            if ("p".equals(persistence)) {
                try {
                    s.execute("ALTER SEQUENCE " + sequence + " SET UNLOGGED");
                } catch (SQLException e) {
                    LOG.warn("Fencing counter {} is a logged sequence and could not be made unlogged ({}): tokens stay correct, "
                            + "but acquisitions wait for WAL flushes", sequence, e.getMessage());
                }
            }
        }
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
                if (next > MAX_EPOCH) throw new SQLException("fencing epochs of " + epochTable + " are exhausted (" + durable + ")");
                s.execute("UPDATE " + epochTable + " SET epoch = " + next);
                c.commit(); // flushed: from here on no later epoch can be lower
                LOG.info("Fencing tokens of {} continue in epoch {} (the counter was at {})", sequence, next, counter);
            }
            long current = durableEpochForUpdate(s);
            if (counter(s) < current << COUNTER_BITS) {
                try (ResultSet rs = s.executeQuery("SELECT setval('" + sequence + "', " + (current << COUNTER_BITS) + ")")) {
                    rs.next();
                }
            }
            c.commit();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().equals(UNDEFINED_TABLE)) {
                throw new SQLException("fencing epoch table " + epochTable + " is missing: " + e.getMessage(), e.getSQLState(), e);
            }
            throw e;
        }
        c.setAutoCommit(true);
    }

    private long durableEpochForUpdate(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT epoch FROM " + epochTable + " FOR UPDATE")) {
            if (!rs.next()) throw new SQLException("fencing epoch table " + epochTable + " has no row");
            return rs.getLong(1);
        }
    }

    /** The counter's last value: what a reset sequence or one near its limit shows. */
    private long counter(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT last_value FROM " + sequence)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
