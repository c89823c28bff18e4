package io.github.dlock.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Redis deployments of a test's own, as real processes on free loopback ports, stopped by PID
 * when the test JVM exits: a Sentinel set (1 master, 1 replica, 3 sentinels) and a Redis
 * Cluster (3 masters with a replica each). Driven with {@code redis-cli}, so any module's tests
 * can use them without a Redis client library. Nothing is persisted.
 */
public final class RedisTopologies {
    private static final List<RedisProcess> STARTED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (STARTED) {
                STARTED.forEach(RedisProcess::kill);
            }
        }));
    }

    private RedisTopologies() {}

    /** One {@code redis-server} (or sentinel) process. */
    public static final class RedisProcess {
        private final int port;
        private final Path dir;
        private final List<String> command;
        private Process process;
        private volatile boolean paused;

        private RedisProcess(int port, Path dir, List<String> command) {
            this.port = port;
            this.dir = dir;
            this.command = command;
        }

        /** @return its port on 127.0.0.1 */
        public int port() {
            return port;
        }

        /** @return {@code 127.0.0.1:port} */
        public String address() {
            return "127.0.0.1:" + port;
        }

        /** @return its PID */
        public long pid() {
            return process.pid();
        }

        private void launch() throws IOException, InterruptedException {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) throw new IOException(command + " exited: " + Files.readString(dir.resolve("server.log")));
                String pong = RedisTopologies.cli(port, "PING").trim();
                if (pong.equals("PONG") || pong.startsWith("NOAUTH")) return; // a sentinel with requirepass answers too
                Thread.sleep(20);
            }
            throw new IOException(command + " did not answer within 15 s");
        }

        /**
         * Runs one command with {@code redis-cli} on this process.
         *
         * @param args the command and its arguments
         * @return what redis-cli printed (one line per reply element)
         */
        public String cli(String... args) {
            return RedisTopologies.cli(port, args);
        }

        /** {@code kill -9}: gone at once, nothing written. */
        public void kill() {
            if (process != null && process.isAlive()) {
                signal("-CONT");
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** {@code kill -STOP}: connections stay open, nothing is answered. */
        public void pause() {
            paused = true;
            signal("-STOP");
        }

        /** {@code kill -CONT} after {@link #pause}. */
        public void resume() {
            signal("-CONT");
            paused = false;
        }

        /** @return whether it is stopped by {@link #pause} now */
        public boolean isPaused() {
            return paused;
        }

        private void signal(String signal) {
            try {
                new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Starts it again on the same port (its data is gone; a cluster node keeps its
         * {@code nodes.conf} and rejoins).
         *
         * @throws IOException if it does not come up
         * @throws InterruptedException if interrupted meanwhile
         */
        public void restart() throws IOException, InterruptedException {
            kill();
            launch();
        }
    }

    private static RedisProcess start(String name, List<String> args, String config) throws IOException, InterruptedException {
        int port = name.equals("cluster") ? freeClusterPort() : freePort();
        Path dir = Files.createTempDirectory("dlock-" + name + "-" + port);
        List<String> command = new ArrayList<>();
        command.add("redis-server");
        if (config != null) {
            Path file = dir.resolve(name + ".conf");
            Files.writeString(file, "port " + port + "\nbind 127.0.0.1\n" + config);
            command.add(file.toString());
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--daemonize", "no", "--loglevel", "warning", "--repl-diskless-sync-delay", "0"));
        command.addAll(args);
        RedisProcess p = new RedisProcess(port, dir, command);
        p.launch();
        synchronized (STARTED) {
            STARTED.add(p);
        }
        return p;
    }

    /** A Sentinel set: the master and replica, and three sentinels watching it as {@link #MASTER_NAME}. */
    public static final class SentinelSet {
        /** The name the sentinels know the master by. */
        public static final String MASTER_NAME = "mymaster";
        private final List<RedisProcess> servers;
        private final List<RedisProcess> sentinels;
        private final String sentinelPassword;

        private SentinelSet(List<RedisProcess> servers, List<RedisProcess> sentinels, String sentinelPassword) {
            this.servers = servers;
            this.sentinels = sentinels;
            this.sentinelPassword = sentinelPassword;
        }

        /**
         * Runs one command with {@code redis-cli} on a sentinel, authenticated if the set's
         * sentinels require a password.
         *
         * @param sentinel one of {@link #sentinels()}
         * @param args the command and its arguments
         * @return what redis-cli printed
         */
        public String sentinelCli(RedisProcess sentinel, String... args) {
            if (sentinelPassword == null) return sentinel.cli(args);
            List<String> all = new ArrayList<>(List.of("--no-auth-warning", "-a", sentinelPassword));
            all.addAll(List.of(args));
            return sentinel.cli(all.toArray(new String[0]));
        }

        /**
         * The provider URL for this set.
         *
         * @param options the query part without {@code ?}, or empty
         * @return {@code redis-sentinel://s1,s2,s3?options#mymaster}
         */
        public String url(String options) {
            return "redis-sentinel://" + sentinels.stream().map(RedisProcess::address).collect(Collectors.joining(","))
                    + (options.isEmpty() ? "" : "?" + options) + "#" + MASTER_NAME;
        }

        /** @return the sentinels */
        public List<RedisProcess> sentinels() {
            return sentinels;
        }

        /** @return the data servers (master and replica, in either role) */
        public List<RedisProcess> servers() {
            return servers;
        }

        /** @return the server that the first sentinel that answers names as master now */
        public RedisProcess master() {
            for (RedisProcess s : sentinels) {
                String[] reply = sentinelCli(s, "SENTINEL", "get-master-addr-by-name", MASTER_NAME).trim().split("\\s+");
                if (reply.length == 2) {
                    int port = Integer.parseInt(reply[1]);
                    for (RedisProcess p : servers) if (p.port() == port) return p;
                }
            }
            throw new AssertionError("no sentinel names a master");
        }

        /** @return the data server that is not {@link #master()} */
        public RedisProcess replica() {
            RedisProcess master = master();
            return servers.stream().filter(p -> p != master).findFirst().orElseThrow();
        }

        /**
         * Waits until every sentinel names a master other than {@code old}, that master says
         * it is one, and (if {@code old} runs and is not paused) {@code old} replicates from it.
         *
         * @param old the master before the failover
         * @param seconds the longest wait
         * @return the new master
         * @throws InterruptedException if interrupted meanwhile
         */
        public RedisProcess awaitNewMaster(RedisProcess old, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                boolean allMoved = true;
                for (RedisProcess s : sentinels) {
                    String[] reply = sentinelCli(s, "SENTINEL", "get-master-addr-by-name", MASTER_NAME).trim().split("\\s+");
                    allMoved &= reply.length == 2 && Integer.parseInt(reply[1]) != old.port();
                }
                if (allMoved) {
                    RedisProcess now = master();
                    boolean isMaster = now.cli("ROLE").startsWith("master");
                    boolean oldFollows = !old.process.isAlive() || old.isPaused() || old.cli("INFO", "replication").contains("master_link_status:up");
                    if (isMaster && oldFollows) return now;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("the sentinels did not fail over from " + old.address() + " within " + seconds + " s");
        }

        /**
         * {@code SENTINEL FAILOVER} and waits for it to complete.
         *
         * @return the new master
         * @throws InterruptedException if interrupted meanwhile
         */
        public RedisProcess failover() throws InterruptedException {
            RedisProcess old = master();
            awaitReplicaInSync(old);
            String reply = "";
            for (int i = 0; i < 50; i++) { // refused while a previous failover is still settling
                reply = sentinelCli(sentinels.get(0), "SENTINEL", "FAILOVER", MASTER_NAME).trim();
                if (reply.equals("OK")) return awaitNewMaster(old, 30);
                Thread.sleep(200);
            }
            throw new AssertionError("SENTINEL FAILOVER refused: " + reply);
        }

        /**
         * Waits until {@code master} has a replica online and the sentinels know it.
         *
         * @param master the master
         * @throws InterruptedException if interrupted meanwhile
         */
        public void awaitReplicaInSync(RedisProcess master) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                String info = master.cli("INFO", "replication");
                if (info.contains("slave0:") && info.contains("state=online")) {
                    // the sentinels must know the replica too, or they have nobody to promote
                    String replicas = sentinelCli(sentinels.get(0), "SENTINEL", "REPLICAS", MASTER_NAME);
                    if (replicas.contains("slave") && !replicas.contains("s_down") && !replicas.contains("disconnected")) return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("the replica of " + master.address() + " did not come online");
        }
    }

    /**
     * Starts a Sentinel set: sentinels that mark the master down after 1 s and fail over with
     * a quorum of 2.
     *
     * @return the running set, with its replica in sync
     * @throws IOException if a process does not start (is redis-server on PATH?)
     * @throws InterruptedException if interrupted meanwhile
     */
    public static SentinelSet startSentinelSet() throws IOException, InterruptedException {
        return startSentinelSet(null);
    }

    /**
     * Starts a Sentinel set as {@link #startSentinelSet()} does, with sentinels that require
     * {@code sentinelPassword} ({@code requirepass}; they authenticate to each other with it).
     *
     * @param sentinelPassword the sentinels' password, or null for none
     * @return the running set, with its replica in sync
     * @throws IOException if a process does not start (is redis-server on PATH?)
     * @throws InterruptedException if interrupted meanwhile
     */
    public static SentinelSet startSentinelSet(String sentinelPassword) throws IOException, InterruptedException {
        RedisProcess master = start("master", List.of(), null);
        RedisProcess replica = start("replica", List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())), null);
        List<RedisProcess> sentinels = new ArrayList<>();
        String conf = "sentinel monitor " + SentinelSet.MASTER_NAME + " 127.0.0.1 " + master.port() + " 2\n"
                + "sentinel down-after-milliseconds " + SentinelSet.MASTER_NAME + " 1000\n"
                + "sentinel failover-timeout " + SentinelSet.MASTER_NAME + " 4000\n"
                + "sentinel parallel-syncs " + SentinelSet.MASTER_NAME + " 1\n"
                + (sentinelPassword == null ? "" : "requirepass " + sentinelPassword + "\nsentinel sentinel-pass " + sentinelPassword + "\n");
        for (int i = 0; i < 3; i++) sentinels.add(start("sentinel", List.of("--sentinel"), conf));
        SentinelSet set = new SentinelSet(List.of(master, replica), sentinels, sentinelPassword);
        set.awaitReplicaInSync(master);
        return set;
    }

    /** A Redis Cluster of three masters with a replica each. */
    public static final class Cluster {
        private final List<RedisProcess> nodes;

        private Cluster(List<RedisProcess> nodes) {
            this.nodes = nodes;
        }

        /**
         * The provider URL for this cluster, with every node as a seed.
         *
         * @param options the query part without {@code ?}, or empty
         * @return {@code redis-cluster://n1,...?options}
         */
        public String url(String options) {
            return "redis-cluster://" + nodes.stream().map(RedisProcess::address).collect(Collectors.joining(",")) + (options.isEmpty() ? "" : "?" + options);
        }

        /** @return every node, masters and replicas */
        public List<RedisProcess> nodes() {
            return nodes;
        }

        /** @return the nodes that are masters now */
        public List<RedisProcess> masters() {
            return nodes.stream().filter(n -> n.process.isAlive() && n.cli("ROLE").startsWith("master")).toList();
        }

        /**
         * The master that serves a slot now, by each master's own view ({@code CLUSTER NODES}).
         *
         * @param slot the slot, 0 to 16383
         * @return the master that says it serves {@code slot}
         */
        public RedisProcess masterOf(int slot) {
            for (RedisProcess n : masters()) {
                String nodeId = n.cli("CLUSTER", "MYID").trim();
                for (String line : n.cli("CLUSTER", "NODES").split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f.length < 9 || !f[0].equals(nodeId)) continue;
                    for (int i = 8; i < f.length; i++) {
                        String range = f[i];
                        if (range.startsWith("[")) continue;
                        String[] ends = range.split("-");
                        int from = Integer.parseInt(ends[0]);
                        int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
                        if (slot >= from && slot <= to) return n;
                    }
                }
            }
            throw new AssertionError("no master serves slot " + slot);
        }

        /**
         * Waits until some master has a client {@code SSUBSCRIBE}d to {@code channel}
         * ({@code PUBSUB SHARDNUMSUB}), e.g. a waiter's provider on its lock's channel.
         *
         * @param channel the shard channel
         * @param seconds the longest wait
         * @throws InterruptedException if interrupted meanwhile
         * @throws AssertionError if nobody subscribed in time
         */
        public void awaitShardSubscriber(String channel, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                for (RedisProcess m : masters()) {
                    String[] reply = m.cli("PUBSUB", "SHARDNUMSUB", channel).trim().split("\\s+");
                    if (reply.length == 2 && reply[1].matches("[1-9][0-9]*")) return;
                }
                Thread.sleep(20);
            }
            throw new AssertionError("nobody subscribed to " + channel + " within " + seconds + " s");
        }

        /**
         * The replica of a master.
         *
         * @param master the master
         * @return the node replicating from {@code master}
         */
        public RedisProcess replicaOf(RedisProcess master) {
            String id = master.cli("CLUSTER", "MYID").trim();
            for (RedisProcess n : nodes) {
                if (n != master && n.process.isAlive() && n.cli("CLUSTER", "NODES").lines()
                        .anyMatch(l -> l.contains("myself") && l.contains("slave " + id))) return n;
            }
            throw new AssertionError("no replica of " + master.address());
        }

        /**
         * Moves {@code slot}, with its keys, from its master to {@code to}, as
         * {@code redis-cli --cluster reshard} does: {@code SETSLOT IMPORTING/MIGRATING},
         * {@code MIGRATE} in batches, {@code SETSLOT NODE} on every master.
         *
         * @param slot the slot
         * @param to the master that serves it afterwards
         */
        public void migrate(int slot, RedisProcess to) {
            RedisProcess from = masterOf(slot);
            if (from == to) throw new IllegalArgumentException("slot " + slot + " is on " + to.address() + " already");
            String fromId = from.cli("CLUSTER", "MYID").trim();
            String toId = to.cli("CLUSTER", "MYID").trim();
            expectOk(to.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", fromId));
            expectOk(from.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", toId));
            while (true) {
                String keys = from.cli("CLUSTER", "GETKEYSINSLOT", Integer.toString(slot), "100").trim();
                if (keys.isEmpty()) break;
                List<String> command = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "", "0", "5000", "KEYS"));
                command.addAll(keys.lines().toList());
                String reply = from.cli(command.toArray(new String[0])).trim();
                if (!reply.equals("OK") && !reply.equals("NOKEY")) throw new AssertionError("MIGRATE failed: " + reply);
            }
            for (RedisProcess m : List.of(to, from)) expectOk(m.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId));
            for (RedisProcess m : masters()) if (m != to && m != from) m.cli("CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId);
        }

        /**
         * {@code CLUSTER FAILOVER} on {@code master}'s replica; waits until it is master with
         * the old master replicating from it, and the cluster is ok.
         *
         * @param master the master to demote
         * @return its former replica, the master now
         * @throws InterruptedException if interrupted meanwhile
         */
        public RedisProcess failover(RedisProcess master) throws InterruptedException {
            RedisProcess replica = replicaOf(master);
            expectOk(replica.cli("CLUSTER", "FAILOVER"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long reissue = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (System.nanoTime() < deadline) {
                // a manual failover the master did not join within 5 s (a loaded machine) is dropped
                // by Redis without a word: ask again while the replica is still a replica
                if (System.nanoTime() - reissue > 0 && !replica.cli("ROLE").startsWith("master")) {
                    replica.cli("CLUSTER", "FAILOVER");
                    reissue = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
                }
                if (replica.cli("ROLE").startsWith("master") && replica.cli("INFO", "replication").contains("state=online")
                        && nodes.stream().filter(n -> n.process.isAlive()).allMatch(n -> n.cli("CLUSTER", "INFO").contains("cluster_state:ok"))) {
                    return replica;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("CLUSTER FAILOVER of " + master.address() + " did not complete within 30 s");
        }

        private static void expectOk(String reply) {
            if (!reply.trim().equals("OK")) throw new AssertionError("expected OK, got " + reply.trim());
        }
    }

    /**
     * Starts a Redis Cluster with {@code redis-cli --cluster create}: three masters, one
     * replica each, node timeout 2 s.
     *
     * @return the cluster, once every node reports {@code cluster_state:ok}
     * @throws IOException if a process does not start
     * @throws InterruptedException if interrupted meanwhile
     */
    public static Cluster startCluster() throws IOException, InterruptedException {
        List<RedisProcess> nodes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            nodes.add(start("cluster", List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"), null));
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(n -> create.add(n.address()));
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("redis-cli --cluster create failed: " + out);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (nodes.stream().allMatch(n -> n.cli("CLUSTER", "INFO").contains("cluster_state:ok"))) {
                Cluster cluster = new Cluster(nodes);
                if (cluster.masters().stream().allMatch(m -> m.cli("INFO", "replication").contains("state=online"))) return cluster;
            }
            Thread.sleep(100);
        }
        throw new IOException("the cluster did not reach cluster_state:ok with every replica online within 30 s: " + out);
    }

    /**
     * Runs {@code redis-cli -p port args...}.
     *
     * @param port the server's port on 127.0.0.1
     * @param args the command
     * @return its output ({@code --no-raw} off: one line per reply element), empty if it failed to run
     *     or did not end within 10 s (a paused server: it never hangs the caller)
     */
    public static String cli(int port, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("dlock-redis-cli", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return "";
                }
                return Files.readString(out);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run redis-cli (is it on PATH?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** A free port whose cluster bus port (+10000) is free too and below 65536. */
    private static int freeClusterPort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 1000; i++) {
            int port = 20000 + random.nextInt(30000);
            try (ServerSocket a = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress());
                    ServerSocket b = new ServerSocket(port + 10000, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port pair for a cluster node");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
