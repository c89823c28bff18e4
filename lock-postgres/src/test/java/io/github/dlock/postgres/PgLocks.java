package io.github.dlock.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;

/** The tests' view of the server: {@code pg_locks} and {@code pg_stat_activity} by application name (the owner id). */
final class PgLocks {
    private PgLocks() {}

    /** A fresh owner id, so that a test sees only its own sessions. */
    static String newOwner() {
        return "t-" + UUID.randomUUID().toString().substring(0, 12);
    }

    /** Advisory locks held (granted) or waited for by sessions whose application name is {@code owner}. */
    static int advisoryLocksOf(String owner, boolean granted) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        + "WHERE l.locktype = 'advisory' AND (a.application_name = ? OR starts_with(a.application_name, ? || '@')) AND l.granted = ?")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            ps.setBoolean(3, granted);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static int sessionsOf(String owner) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        + "WHERE l.locktype = 'advisory' AND (a.application_name = ? OR starts_with(a.application_name, ? || '@'))")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static void terminateSessionsOf(String owner) throws Exception {
        try (Connection c = PostgresBackend.jdbc();
                PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE (application_name = ? OR starts_with(application_name, ? || '@'))")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            ps.executeQuery().close();
        }
    }

    /** Sessions of {@code owner} in an open transaction. */
    static int sessionsInTransaction(String owner) throws Exception {
        try (Connection c = PostgresBackend.jdbc(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE (application_name = ? OR starts_with(application_name, ? || '@')) AND xact_start IS NOT NULL")) {
            ps.setString(1, owner);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
