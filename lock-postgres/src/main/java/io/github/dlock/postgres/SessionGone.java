package io.github.dlock.postgres;

import java.sql.SQLException;

/**
 * A session's connection failed ({@link PostgresConnections#isConnectionFailure}) under a try or
 * a wait. Whatever the session held or was granted dies with it (at once when the server ended
 * it, when the server notices the lost client otherwise; until then the server still excludes
 * others with it), and none of it was handed to a caller: the caller may go on with a fresh
 * session. The connection is discarded, never pooled.
 */
final class SessionGone extends RuntimeException {
    SessionGone(SQLException cause) {
        super(cause.getMessage(), cause, false, false);
    }

    @Override
    public synchronized SQLException getCause() {
        return (SQLException) super.getCause();
    }
}
