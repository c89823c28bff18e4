package io.github.dlock.postgres;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real PgBouncer ({@code pgbouncer} from the OS packages; {@code .ci/run} installs it) on a
 * free loopback port in front of the test database, started by the tests and stopped by PID.
 * {@code $DLOCK_PGBOUNCER_URL} points the transaction-mode tests at an existing one instead.
 */
final class PgBouncer implements AutoCloseable {
    private static PgBouncer transactionMode; // shared by the test classes of one JVM

    private final Process process;
    private final Path dir;
    final int port;

    /** The URL of a PgBouncer in transaction mode that lets the test database's user in without a password. */
    static synchronized String transactionModeUrl() {
        String env = System.getenv("DLOCK_PGBOUNCER_URL");
        if (env != null && !env.isBlank()) return env;
        URI db = database();
        String[] credentials = db.getUserInfo() == null ? new String[] {"postgres"} : db.getUserInfo().split(":", 2);
        if (transactionMode == null) {
            // the password, if any, is the one PgBouncer logs in to the server with
            transactionMode = new PgBouncer("transaction", "trust", Map.of(credentials[0], credentials.length > 1 ? credentials[1] : ""), null);
            Runtime.getRuntime().addShutdownHook(new Thread(transactionMode::close));
        }
        return "postgresql://" + credentials[0] + "@127.0.0.1:" + transactionMode.port + db.getPath();
    }

    /**
     * Starts PgBouncer in {@code poolMode}, checking clients' passwords with {@code authType}
     * against {@code users} (name to password); with {@code serverUser}, it logs in to the
     * server as that user whoever the client is.
     */
    PgBouncer(String poolMode, String authType, Map<String, String> users, String serverUser) {
        this(poolMode, authType, users, serverUser, freePortOrFail());
    }

    /** As above, on {@code port}. */
    PgBouncer(String poolMode, String authType, Map<String, String> users, String serverUser, int port) {
        URI db = database();
        this.port = port;
        try {
            dir = Files.createTempDirectory("dlock-pgbouncer", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            StringBuilder userlist = new StringBuilder();
            users.forEach((user, password) -> userlist.append('"').append(user).append("\" \"").append(password).append("\"\n"));
            Files.writeString(dir.resolve("users.txt"), userlist);
            String dbName = db.getPath().substring(1);
            Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n",
                    "[databases]",
                    dbName + " = host=" + db.getHost() + " port=" + (db.getPort() > 0 ? db.getPort() : 5432) + " dbname=" + dbName
                            + (serverUser != null ? " user=" + serverUser : ""),
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + port,
                    "unix_socket_dir =",
                    "auth_type = " + authType,
                    "auth_file = " + dir.resolve("users.txt"),
                    "pool_mode = " + poolMode,
                    "max_client_conn = 1000",
                    "default_pool_size = 40",
                    "ignore_startup_parameters = extra_float_digits",
                    ""));
            ProcessBuilder pb = "root".equals(System.getProperty("user.name"))
                    ? new ProcessBuilder("pgbouncer", "-u", "nobody", dir.resolve("pgbouncer.ini").toString()) // it refuses to run as root
                    : new ProcessBuilder("pgbouncer", dir.resolve("pgbouncer.ini").toString());
            process = pb.redirectErrorStream(true).redirectOutput(dir.resolve("pgbouncer.log").toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start pgbouncer (install it: apt-get install pgbouncer; .ci/run does): " + e.getMessage(), e);
        }
        awaitListening();
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("pgbouncer exited: " + log());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
        throw new AssertionError("pgbouncer did not listen on " + port + " within 15 s: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("pgbouncer.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static URI database() {
        return URI.create(PostgresBackend.baseUrl().replaceFirst("^jdbc:", ""));
    }

    static int freePortOrFail() {
        try {
            return freePort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM by PID: PgBouncer exits at once
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
