package io.github.dlock.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * Where the tests find their Redis and PostgreSQL servers, in this order:
 * <ol>
 *   <li>{@code $DLOCK_REDIS_URL} / {@code $DLOCK_POSTGRES_URL}, when set;
 *   <li>the loopback server ({@code 127.0.0.1:6379}, {@code 127.0.0.1:5432} database
 *       {@code test} as {@code postgres}), when something answers there;
 *   <li>a container started with Testcontainers, when Docker is available: images
 *       {@code $DLOCK_REDIS_IMAGE} (default {@value #DEFAULT_REDIS_IMAGE}) and
 *       {@code $DLOCK_POSTGRES_IMAGE} (default {@value #DEFAULT_POSTGRES_IMAGE}, database
 *       {@code postgres} as {@code postgres}, trust authentication), started once per JVM
 *       and stopped when it exits;
 *   <li>otherwise an {@link AssertionError} saying all of this: a test that needs a server
 *       never passes or skips without one.
 * </ol>
 * The system property {@value #FORCE_PROPERTY}{@code =true} skips the first two steps (the
 * whole suite on containers); {@link #redisContainerUrl()} and {@link #postgresContainerUrl()}
 * skip them for one test class, which is how CI keeps the container path exercised.
 *
 * <p>URLs are dlock URLs without options: {@code redis://host:port},
 * {@code postgresql://user@host:port/database}.
 */
public final class TestServers {
    /** System property: {@code true} puts every test on containers. */
    public static final String FORCE_PROPERTY = "dlock.testcontainers.force";
    /** The Redis image when {@code $DLOCK_REDIS_IMAGE} is not set. */
    public static final String DEFAULT_REDIS_IMAGE = "redis:7.4-alpine";
    /** The PostgreSQL image when {@code $DLOCK_POSTGRES_IMAGE} is not set. */
    public static final String DEFAULT_POSTGRES_IMAGE = "postgres:16-alpine";

    private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Object CONTAINERS = new Object();
    private static String redisContainer; // guarded by CONTAINERS
    private static String postgresContainer; // guarded by CONTAINERS

    private TestServers() {}

    /**
     * The Redis server the tests use, resolved as the class comment says.
     *
     * @return a {@code redis://host:port} URL
     * @throws AssertionError if there is none
     */
    public static String redisUrl() {
        if (!forced()) {
            String env = System.getenv("DLOCK_REDIS_URL");
            if (env != null && !env.isBlank()) return env;
            if (answers("127.0.0.1", 6379, TestServers::redisAnswer)) return "redis://127.0.0.1:6379";
        }
        return redisContainerUrl("no $DLOCK_REDIS_URL, and no Redis answers on 127.0.0.1:6379");
    }

    /**
     * The PostgreSQL server the tests use, resolved as the class comment says.
     *
     * @return a {@code postgresql://user@host:port/database} URL
     * @throws AssertionError if there is none
     */
    public static String postgresUrl() {
        if (!forced()) {
            String env = System.getenv("DLOCK_POSTGRES_URL");
            if (env != null && !env.isBlank()) return env;
            if (answers("127.0.0.1", 5432, TestServers::postgresAnswer)) return "postgresql://postgres@127.0.0.1:5432/test";
        }
        return postgresContainerUrl("no $DLOCK_POSTGRES_URL, and no PostgreSQL answers on 127.0.0.1:5432");
    }

    /**
     * A Redis server in a container, whatever else is available (the JVM's one container,
     * started on first use).
     *
     * @return a {@code redis://host:port} URL
     * @throws AssertionError if Docker is not available or the container does not start
     */
    public static String redisContainerUrl() {
        return redisContainerUrl("the test asked for a container");
    }

    /**
     * A PostgreSQL server in a container, whatever else is available (the JVM's one
     * container, started on first use).
     *
     * @return a {@code postgresql://postgres@host:port/postgres} URL
     * @throws AssertionError if Docker is not available or the container does not start
     */
    public static String postgresContainerUrl() {
        return postgresContainerUrl("the test asked for a container");
    }

    private static String redisContainerUrl(String why) {
        synchronized (CONTAINERS) {
            if (redisContainer == null) {
                GenericContainer<?> c = start(image("DLOCK_REDIS_IMAGE", DEFAULT_REDIS_IMAGE), 6379, TestServers::redisAnswer, why, "Redis");
                redisContainer = "redis://" + c.getHost() + ":" + c.getMappedPort(6379);
            }
            return redisContainer;
        }
    }

    private static String postgresContainerUrl(String why) {
        synchronized (CONTAINERS) {
            if (postgresContainer == null) {
                GenericContainer<?> c = start(image("DLOCK_POSTGRES_IMAGE", DEFAULT_POSTGRES_IMAGE), 5432, TestServers::postgresAnswer, why,
                        "PostgreSQL");
                postgresContainer = "postgresql://postgres@" + c.getHost() + ":" + c.getMappedPort(5432) + "/postgres";
            }
            return postgresContainer;
        }
    }

    private static boolean forced() {
        return Boolean.parseBoolean(System.getProperty(FORCE_PROPERTY, "false").trim().toLowerCase(Locale.ROOT));
    }

    private static String image(String variable, String fallback) {
        String env = System.getenv(variable);
        return env != null && !env.isBlank() ? env.trim() : fallback;
    }

    @SuppressWarnings("resource") // stopped by the shutdown hook
    private static GenericContainer<?> start(String image, int port, BiPredicate<InputStream, OutputStream> answer, String why, String what) {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            throw new AssertionError(what + " for the tests: " + why + ", and Docker is not available for a container (image " + image
                    + "). Start a local server (see .ci/run) or Docker, or set $DLOCK_" + what.toUpperCase(Locale.ROOT).replace("POSTGRESQL", "POSTGRES")
                    + "_URL.");
        }
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withExposedPorts(port)
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust") // the public postgres image; ignored by others
                .waitingFor(new Answers(port, answer).withStartupTimeout(STARTUP));
        try {
            c.start();
        } catch (RuntimeException e) {
            throw new AssertionError(what + " container from image " + image + " did not start (" + why + "): " + e.getMessage(), e);
        }
        LOG.info("{} for the tests: container {} of image {} on {}:{} ({})", what, c.getContainerId().substring(0, 12), image, c.getHost(),
                c.getMappedPort(port), why);
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "dlock-testservers-stop"));
        return c;
    }

    /** Whether a server at {@code host:port} speaks the protocol {@code answer} checks, within 1 s. */
    static boolean answers(String host, int port, BiPredicate<InputStream, OutputStream> answer) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 1000);
            s.setSoTimeout(1000);
            return answer.test(s.getInputStream(), s.getOutputStream());
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code PING} answered by {@code +PONG}, or by an error such as {@code -NOAUTH}: a Redis server. */
    private static boolean redisAnswer(InputStream in, OutputStream out) {
        try {
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int first = in.read();
            return first == '+' || first == '-';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A startup message (protocol 3.0, user and database {@code postgres}) answered by an
     * authentication request ({@code R}): a PostgreSQL server that accepts sessions, no driver
     * needed. A server still starting up (or recovering) answers {@code E} ("the database system
     * is starting up"), though it already answers an {@code SSLRequest}.
     */
    private static boolean postgresAnswer(InputStream in, OutputStream out) {
        try {
            byte[] params = "user\0postgres\0database\0postgres\0\0".getBytes(StandardCharsets.US_ASCII);
            java.nio.ByteBuffer startup = java.nio.ByteBuffer.allocate(8 + params.length);
            startup.putInt(8 + params.length).putInt(196608).put(params); // length, protocol 3.0, parameters
            out.write(startup.array());
            out.flush();
            return in.read() == 'R';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits until the server answers its protocol on the mapped port, from this host: works
     * for any image (no shell needed in it), and not fooled by Docker's port proxy, which
     * accepts connections before anything listens in the container.
     */
    private static final class Answers extends AbstractWaitStrategy {
        private final int port;
        private final BiPredicate<InputStream, OutputStream> answer;

        Answers(int port, BiPredicate<InputStream, OutputStream> answer) {
            this.port = port;
            this.answer = answer;
        }

        @Override
        protected void waitUntilReady() {
            long end = System.nanoTime() + startupTimeout.toNanos();
            String host = waitStrategyTarget.getHost();
            int mapped = waitStrategyTarget.getMappedPort(port);
            while (!answers(host, mapped, answer)) {
                if (System.nanoTime() > end || !waitStrategyTarget.isRunning()) {
                    throw new IllegalStateException("nothing answered on " + host + ":" + mapped + " within " + startupTimeout
                            + (waitStrategyTarget.isRunning() ? "" : " (the container exited)") + "; its log:\n"
                            + waitStrategyTarget.getLogs());
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the container", e);
                }
            }
        }
    }
}
