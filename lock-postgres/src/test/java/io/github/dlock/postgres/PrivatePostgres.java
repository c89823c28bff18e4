package io.github.dlock.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL cluster of the test's own ({@code initdb} + {@code pg_ctl}, as user
 * {@code postgres} when the tests run as root), on a free loopback port, for settings that must
 * not go on the shared server. Stopped by PID with {@link #close()}.
 */
final class PrivatePostgres implements AutoCloseable {
    final int port;
    private final Path dir;
    private final Path data;
    private final List<String> command;
    private Process server;
    private long postmasterPid;

    /** Starts a cluster with {@code settings} ({@code name=value}) on the postgres command line. */
    PrivatePostgres(String... settings) throws Exception {
        port = PgBouncer.freePortOrFail();
        dir = Files.createTempDirectory("dlock-pg-");
        run(asPostgres("chown", "-R", "postgres", dir.toString()), true);
        data = dir.resolve("data");
        run(asPostgres(bin("initdb"), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync"), false);
        command = new ArrayList<>(List.of(bin("postgres"), "-D", data.toString(), "-p", Integer.toString(port), "-k", dir.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"));
        for (String s : settings) {
            command.add("-c");
            command.add(s);
        }
        start();
    }

    /** Starts the postmaster on the existing data directory (again, after {@link #stopImmediately()}); returns once it accepts connections. */
    void start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(asPostgres(command.toArray(String[]::new))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
        server = pb.start();
        awaitConnections();
        postmasterPid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    }

    private void awaitConnections() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (server != null && !server.isAlive()) throw new AssertionError("private PostgreSQL exited: " + log());
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), "postgres", null)) {
                return;
            } catch (java.sql.SQLException notYet) {
                Thread.sleep(100);
            }
        }
        close();
        throw new AssertionError("private PostgreSQL did not accept connections on " + port + " within 30 s: " + log());
    }

    /**
     * What {@code pg_ctl stop -m immediate} does (SIGQUIT to the postmaster by PID): every
     * process exits without a checkpoint, so the next {@link #start()} runs crash recovery.
     */
    void stopImmediately() throws Exception {
        new ProcessBuilder("kill", "-QUIT", Long.toString(postmasterPid)).start().waitFor();
        if (!server.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the postmaster did not exit on SIGQUIT: " + log());
        postmasterPid = 0;
    }

    /**
     * Kills one backend with SIGKILL: the postmaster then ends every session and reinitializes
     * (crash recovery, which resets unlogged relations) without restarting itself. Returns once
     * the server accepts connections again.
     */
    void crashOneBackend() throws Exception {
        String reinitializing = "all server processes terminated; reinitializing";
        int before = occurrences(log(), reinitializing);
        long victim;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), "postgres", null);
                java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            victim = rs.getLong(1);
            new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
        } catch (java.sql.SQLException expected) {
            // the victim was this very session: its connection breaks
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (occurrences(log(), reinitializing) == before) {
            if (System.nanoTime() > end) throw new AssertionError("the postmaster did not reinitialize after a backend crash: " + log());
            Thread.sleep(50);
        }
        awaitConnections();
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    String url() {
        return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    }

    private static String bin(String tool) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
        String dir = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        Path candidate = Path.of(dir, tool);
        return Files.isExecutable(candidate) ? candidate.toString() : tool;
    }

    private static String[] asPostgres(String... cmd) {
        if (!"root".equals(System.getProperty("user.name"))) return cmd;
        List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        if (cmd[0].equals("chown")) return cmd; // root does this one itself
        all.addAll(List.of(cmd));
        return all.toArray(String[]::new);
    }

    private static void run(String[] cmd, boolean quiet) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            if (!quiet || p.isAlive()) throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        if (postmasterPid > 0) { // SIGINT to the postmaster by PID: fast shutdown, clients are disconnected
            new ProcessBuilder("kill", "-INT", Long.toString(postmasterPid)).start().waitFor();
            java.util.Optional<ProcessHandle> pm = ProcessHandle.of(postmasterPid);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (pm.isPresent() && pm.get().isAlive() && System.nanoTime() < end) Thread.sleep(50);
            if (pm.isPresent() && pm.get().isAlive()) new ProcessBuilder("kill", "-KILL", Long.toString(postmasterPid)).start().waitFor();
        }
        if (server != null && !server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
