package io.github.dlock.postgres;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * PostgreSQL under test: the server {@link TestServers#postgresUrl()} resolves
 * ({@code $DLOCK_POSTGRES_URL}, else the loopback server's {@code test} database as
 * {@code postgres}, else a container), or, for {@link #container()}, always a container.
 * Fails loudly when unreachable.
 */
final class PostgresBackend implements ConformanceBackend {
    static final PostgresBackend INSTANCE = new PostgresBackend(TestServers.postgresUrl());
    private static PostgresBackend container;
    final String base;
    final String url;

    private PostgresBackend(String base) {
        this.base = base;
        this.url = base + (base.contains("?") ? "&" : "?") + "keepAlive=1s&prefix=dlocktest";
    }

    /** The backend on a PostgreSQL container of its own, whatever else is available. */
    static synchronized PostgresBackend container() {
        if (container == null) container = new PostgresBackend(TestServers.postgresContainerUrl());
        return container;
    }

    static String baseUrl() {
        return INSTANCE.base;
    }

    /** A plain JDBC connection to the default backend's database, for the tests' own checks. */
    static Connection jdbc() throws SQLException {
        return INSTANCE.connect();
    }

    /** A plain JDBC connection to this backend's database. */
    Connection connect() throws SQLException {
        java.net.URI u = java.net.URI.create(base.replaceFirst("^jdbc:", ""));
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
        String password = u.getUserInfo() != null && u.getUserInfo().contains(":") ? u.getUserInfo().split(":", 2)[1] : null;
        String jdbcUrl = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getPath();
        try {
            return DriverManager.getConnection(jdbcUrl, user, password);
        } catch (SQLException e) {
            throw new AssertionError("PostgreSQL at " + jdbcUrl + " is unreachable; start it (see .ci/run) or set DLOCK_POSTGRES_URL: " + e.getMessage(), e);
        }
    }

    @Override
    public LockProvider openProvider() {
        try (Connection c = connect()) {
            c.isValid(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        return LockProvider.open(url);
    }

    /** The database's relations (a name injected into SQL could only leave a trace here). */
    @Override
    public java.util.Set<String> outsideNamespace() throws SQLException {
        return relations(connect());
    }

    static java.util.Set<String> relations() throws SQLException {
        return relations(jdbc());
    }

    private static java.util.Set<String> relations(Connection connection) throws SQLException {
        java.util.Set<String> names = new java.util.HashSet<>();
        try (Connection c = connection; java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'")) {
            while (rs.next()) names.add(rs.getString(1));
        }
        return names;
    }

    /** Terminates the session holding the advisory lock (the tests' prefix {@code dlocktest}). */
    @Override
    public void breakLockExternally(String name, io.github.dlock.LockMode mode) throws SQLException {
        terminateHolderOf(connect(), name, mode);
    }

    /** {@code pg_terminate_backend} of the session(s) holding the advisory lock of {@code name} (prefix {@code dlocktest}); fails if none did. */
    static void terminateHolderOf(String name, io.github.dlock.LockMode mode) throws SQLException {
        terminateHolderOf(jdbc(), name, mode);
    }

    private static void terminateHolderOf(Connection connection, String name, io.github.dlock.LockMode mode) throws SQLException {
        String prefix = "dlocktest";
        Advisory lock = mode == io.github.dlock.LockMode.PERMIT ? Advisory.slot(AdvisoryKeys.semaphoreKey(prefix, name), 0)
                : Advisory.single(AdvisoryKeys.key(prefix, mode == io.github.dlock.LockMode.EXCLUSIVE ? "mutex" : "rw", name), false);
        long[] tag = lock.lockTag();
        try (Connection c = connection; java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                        + "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = ?")) {
            ps.setLong(1, tag[0]);
            ps.setLong(2, tag[1]);
            ps.setLong(3, tag[2]);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) == 0) throw new AssertionError("no session holds " + mode + " lock " + name);
            }
        }
    }

    @Override
    public String providerUrl() {
        return url;
    }
}
