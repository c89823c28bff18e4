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
    private final Process server;
    private long postmasterPid;

    /** Starts a cluster with {@code settings} ({@code name=value}) on the postgres command line. */
    PrivatePostgres(String... settings) throws Exception {
        port = PgBouncer.freePortOrFail();
        dir = Files.createTempDirectory("dlock-pg-");
        run(asPostgres("chown", "-R", "postgres", dir.toString()), true);
        Path data = dir.resolve("data");
        run(asPostgres(bin("initdb"), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync"), false);
        List<String> cmd = new ArrayList<>(List.of(bin("postgres"), "-D", data.toString(), "-p", Integer.toString(port), "-k", dir.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"));
        for (String s : settings) {
            cmd.add("-c");
            cmd.add(s);
        }
        ProcessBuilder pb = new ProcessBuilder(asPostgres(cmd.toArray(String[]::new))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile());
        server = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (!server.isAlive()) throw new AssertionError("private PostgreSQL exited: " + log());
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), "postgres", null)) {
                postmasterPid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
                return;
            } catch (java.sql.SQLException notYet) {
                Thread.sleep(100);
            }
        }
        close();
        throw new AssertionError("private PostgreSQL did not accept connections on " + port + " within 30 s: " + log());
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

    private String log() {
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
        if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
