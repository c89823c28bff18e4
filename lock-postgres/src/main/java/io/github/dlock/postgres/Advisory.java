package io.github.dlock.postgres;

/**
 * One advisory lock: its key (one bigint, or the two-int form), whether it is shared, and its
 * {@code id} (see {@link #id()}), made once because every acquire and release looks it up.
 * Builds the SQL for it from fixed fragments only; keys travel as {@code ?} parameters.
 */
record Advisory(long key, int classKey, int slot, boolean twoInts, boolean shared, String id) {

    static Advisory single(long key, boolean shared) {
        return new Advisory(key, 0, 0, false, shared, Long.toString(key));
    }

    static Advisory slot(int classKey, int slot) {
        return new Advisory(0, classKey, slot, true, false, classKey + "/" + slot);
    }

    private String suffix() {
        return shared ? "_shared" : "";
    }

    private String args() {
        return twoInts ? "?, ?" : "?";
    }

    private String function(boolean transactional) {
        return (transactional ? "advisory_xact_lock" : "advisory_lock") + suffix() + "(" + args() + ")";
    }

    /**
     * Returns the value drawn by {@code nextval} (the fencing counter's {@link PostgresFence#nextval()}
     * expression; its sequence is a validated identifier written as a literal, so the server
     * resolves it once per prepared statement) if granted, else 0. A transactional lock lasts until the
     * transaction ends; otherwise until unlocked or the session ends.
     */
    String trySql(String nextval, boolean transactional) {
        return "SELECT CASE WHEN pg_try_" + function(transactional) + " THEN " + nextval + " ELSE 0 END";
    }

    /**
     * For a shared lock the session holds already: takes it once more (PostgreSQL counts
     * re-entrant holds; each unlock gives one back) unless an exclusive request is queued for the
     * key, so that readers of one process never overtake a waiting writer. Returns the fencing
     * token, or 0. The token is drawn before the lock, so the statement cannot fail after taking
     * it; a refused re-entry wastes a token, which only leaves a gap. Parameters: the lock tag
     * (classid, objid, objsubid), then the key.
     */
    String reentrySql(String nextval) {
        return "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND mode = 'ExclusiveLock'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND classid::bigint = ? AND objid::bigint = ? AND objsubid = ?)"
                + " THEN 0 WHEN pg_try_" + function(false) + " THEN token ELSE 0 END FROM (SELECT " + nextval + " AS token OFFSET 0) AS t";
    }

    /** Waits in the server (bounded by {@code lock_timeout}), then returns the value {@code nextval} draws. */
    String waitSql(String nextval, boolean transactional) {
        return "SELECT " + nextval + " FROM (SELECT pg_" + function(transactional) + ") AS granted";
    }

    String unlockSql() {
        return "SELECT pg_advisory_unlock" + suffix() + "(" + args() + ")";
    }

    /** Whether this session holds the lock (after a timeout that may have raced the grant). */
    static final String HELD_SQL = """
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                           AND classid::bigint = ? AND objid::bigint = ? AND objsubid = ?)""";

    /** pg_locks' (classid, objid, objsubid) for this lock. */
    long[] lockTag() {
        if (twoInts) return new long[] {Integer.toUnsignedLong(classKey), Integer.toUnsignedLong(slot), 2};
        return new long[] {key >>> 32, key & 0xFFFFFFFFL, 1};
    }

    /** Binds the key parameters starting at {@code index}; returns the next index. */
    int bind(java.sql.PreparedStatement ps, int index) throws java.sql.SQLException {
        if (twoInts) {
            ps.setInt(index, classKey);
            ps.setInt(index + 1, slot);
            return index + 2;
        }
        ps.setLong(index, key);
        return index + 1;
    }

    /** Which of the four SQL shapes (one key or two ints, exclusive or shared) this lock uses: 0 to 3. */
    int shape() {
        return (twoInts ? 2 : 0) + (shared ? 1 : 0);
    }

    /** An identity of the key (both modes of a read-write lock share it), for queues and messages. */
    @Override
    public String id() {
        return id;
    }
}
