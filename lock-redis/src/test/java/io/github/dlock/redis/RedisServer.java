package io.github.dlock.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * An extra {@code redis-server} process for tests (Redlock nodes, replicas, restarts), on a
 * free loopback port, persisting nothing, stopped by PID when the test JVM exits.
 */
final class RedisServer implements AutoCloseable {
    private static final List<RedisServer> STARTED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (STARTED) {
                STARTED.forEach(RedisServer::stop);
            }
        }));
    }

    private final int port;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, List<String> extraArgs) {
        this.port = port;
        this.extraArgs = extraArgs;
    }

    /** Starts a server; {@code extraArgs} such as {@code --replicaof 127.0.0.1 6380}. */
    static RedisServer start(String... extraArgs) throws IOException, InterruptedException {
        return startOn(freePort(), extraArgs);
    }

    /** {@link #start}, for static initializers: failures become unchecked. */
    static RedisServer startOrFail() {
        try {
            return start();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot start redis-server (is it on PATH?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a server on {@code port} (e.g. one a provider was already pointed at). */
    static RedisServer startOn(int port, String... extraArgs) throws IOException, InterruptedException {
        RedisServer server = new RedisServer(port, List.of(extraArgs));
        server.launch();
        synchronized (STARTED) {
            STARTED.add(server);
        }
        return server;
    }

    private void launch() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("dlock-redis-" + port);
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no", "--loglevel", "warning"));
        command.addAll(extraArgs);
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("redis-server on port " + port + " exited: " + Files.readString(dir.resolve("server.log")));
            try (Jedis j = new Jedis(new redis.clients.jedis.HostAndPort("127.0.0.1", port), TestClients.CONFIG)) {
                if ("PONG".equals(j.ping())) return;
            } catch (redis.clients.jedis.exceptions.JedisDataException needsPassword) {
                return; // it answers: NOAUTH, started with --requirepass
            } catch (RuntimeException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IOException("redis-server on port " + port + " did not answer within 15 s");
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    Jedis client() {
        return new Jedis(new redis.clients.jedis.HostAndPort("127.0.0.1", port), TestClients.CONFIG);
    }

    /** Stops the server (SIGTERM to its PID), waiting for it to exit. */
    /** EVALSHA + EVAL calls this server has run so far ({@code INFO commandstats}). */
    long scriptCalls() {
        long calls = 0;
        try (Jedis j = client()) {
            for (String line : j.info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                    calls += Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
                }
            }
        }
        return calls;
    }

    void stop() {
        if (process == null || !process.isAlive()) return;
        try {
            resume(); // a paused server would not act on SIGTERM
        } catch (IOException ignored) {
            // it is killed forcibly below if need be
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Freezes the server ({@code kill -STOP} of its PID): connections stay open, nothing is answered. */
    void pause() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a {@link #pause paused} server run again ({@code kill -CONT} of its PID). */
    void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) throw new IOException("kill " + signal + " " + process.pid() + " failed");
    }

    /** Starts it again on the same port, empty. */
    void restartEmpty() throws IOException, InterruptedException {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
