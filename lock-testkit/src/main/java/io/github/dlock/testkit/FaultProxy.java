package io.github.dlock.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a free loopback port between one client and a server, for fault tests: it
 * can refuse connections, swallow traffic (a black hole: the client sees no reply and no
 * error, as with a cut cable), cut one direction only, or delay every chunk. A fault applies
 * at once to open connections and to new ones; {@link #heal()} restores normal forwarding.
 *
 * <p>Threads: one daemon thread accepts, two per connection copy bytes (one per direction).
 * Everything the proxy opened is closed by {@link #close()}.
 */
public final class FaultProxy implements AutoCloseable {

    /** What the proxy does with traffic. */
    public enum Mode {
        /** Forwards everything (optionally delayed, see {@link #delay}). */
        PASS,
        /** Resets open connections and new ones right after accepting them (the client sees connection errors). */
        REFUSE,
        /** Accepts and keeps connections open but forwards nothing, in either direction. */
        BLACK_HOLE,
        /** Drops client-to-server bytes: requests never arrive. */
        CUT_UPSTREAM,
        /** Drops server-to-client bytes: requests arrive and take effect, replies never come back. */
        CUT_DOWNSTREAM
    }

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayNanos;
    private volatile long newConnectionDelayNanos;
    private volatile boolean closed;

    private FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts a proxy to {@code host:port} in {@link Mode#PASS}. The server is connected to
     * (within 5 s) for each client connection, not now.
     *
     * @param host the server's host
     * @param port the server's port
     * @return the running proxy; close it when done
     * @throws UncheckedIOException if no loopback port could be bound
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalArgumentException if {@code port} is outside 0 to 65535
     */
    public static FaultProxy start(String host, int port) {
        Objects.requireNonNull(host, "host");
        try {
            return new FaultProxy(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a fault proxy to " + host + ":" + port, e);
        }
    }

    /**
     * The loopback port clients connect to.
     *
     * @return the port the proxy listens on
     */
    public int port() {
        return listener.getLocalPort();
    }

    /**
     * {@code 127.0.0.1:port}, the address to give the client instead of the server's.
     *
     * @return the proxy's address as {@code host:port}
     */
    public String address() {
        return "127.0.0.1:" + port();
    }

    /**
     * Switches to {@code mode} for open and new connections; {@link Mode#REFUSE} resets the open ones.
     *
     * @param mode what to do with traffic from now on
     * @throws NullPointerException if {@code mode} is null
     */
    public void mode(Mode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (mode == Mode.REFUSE) sockets.forEach(FaultProxy::reset);
    }

    /** Back to {@link Mode#PASS} without delay (a {@link #delayNewConnections} delay stays with its connections). Connections that lost bytes meanwhile stay open (their client must cope). */
    public void heal() {
        delayNanos = 0;
        mode = Mode.PASS;
    }

    /**
     * Delays every forwarded chunk by {@code delay} (in both directions); zero for none.
     * Where a {@link #delayNewConnections} delay also applies, the longer of the two counts.
     *
     * @param delay the pause before each chunk is forwarded
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws NullPointerException if {@code delay} is null
     */
    public void delay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative: " + delay);
        this.delayNanos = delay.toNanos();
    }

    /**
     * Delays every chunk of connections accepted from now on by {@code delay}, in both
     * directions (open connections keep their pace): e.g. a client's new connections are
     * slow while its pooled one is not. Where a {@link #delay} also applies, the longer of the
     * two counts.
     *
     * @param delay the pause before each chunk of a new connection is forwarded; zero for none
     * @throws IllegalArgumentException if {@code delay} is negative
     * @throws NullPointerException if {@code delay} is null
     */
    public void delayNewConnections(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative: " + delay);
        this.newConnectionDelayNanos = delay.toNanos();
    }

    /**
     * The current mode.
     *
     * @return what the proxy does with traffic now
     */
    public Mode mode() {
        return mode;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (mode == Mode.REFUSE) {
                reset(client);
                continue;
            }
            Socket server = new Socket();
            try {
                server.connect(target, 5_000);
            } catch (IOException e) {
                reset(client);
                closeQuietly(server);
                continue;
            }
            sockets.add(client);
            sockets.add(server);
            if (closed) {
                closeQuietly(client);
                closeQuietly(server);
                return;
            }
            long connectionDelay = newConnectionDelayNanos;
            pump(client, server, Mode.CUT_UPSTREAM, "up", connectionDelay);
            pump(server, client, Mode.CUT_DOWNSTREAM, "down", connectionDelay);
        }
    }

    private void pump(Socket from, Socket to, Mode cutMode, String direction, long connectionDelayNanos) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    Mode m = mode;
                    if (m == Mode.BLACK_HOLE || m == cutMode) continue;
                    if (m == Mode.REFUSE) break;
                    long delay = Math.max(delayNanos, connectionDelayNanos);
                    if (delay > 0) Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the connection is gone; close both ends below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, "fault-proxy-" + direction + "-" + port());
        t.setDaemon(true);
        t.start();
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0); // RST instead of FIN
        } catch (SocketException ignored) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Stops accepting and closes every connection the proxy opened. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        sockets.forEach(FaultProxy::closeQuietly);
        sockets.clear();
    }

    @Override
    public String toString() {
        return "FaultProxy{" + address() + " -> " + target.getHostString() + ":" + target.getPort() + ", " + mode + "}";
    }
}
