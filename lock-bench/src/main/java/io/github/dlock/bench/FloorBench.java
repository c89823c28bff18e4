package io.github.dlock.bench;

import io.github.dlock.redis.RedisFloor;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The physical floor beside {@link UncontendedBench}: the same store protocol done raw, one
 * connection (or file) per thread. NIO: {@code FileChannel.lock()} + {@code release()}. Redis:
 * the two EVALSHAs a dlock mutex runs. Redlock: the same on three servers, pipelined so the
 * servers work in parallel. Cluster: the two EVALSHAs on a plain connection to the master that
 * serves the name's slot (no routing at all). PostgreSQL: {@code pg_try_advisory_lock} + {@code pg_advisory_unlock}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FloorBench {

    /** One thread's raw connection(s) to the store. */
    @State(Scope.Thread)
    public static class Raw {
        @Param({Targets.FILE, Targets.REDIS, Targets.REDLOCK, Targets.POSTGRES, Targets.CLUSTER})
        public String backend;

        private final String name = UUID.randomUUID().toString();
        private FileChannel channel;
        private final List<Jedis> jedis = new ArrayList<>();
        private final List<RedisFloor> redis = new ArrayList<>();
        private Connection jdbc;
        private PreparedStatement lock;
        private PreparedStatement unlock;

        @Setup(Level.Trial)
        public void open() throws IOException, SQLException {
            switch (backend) {
                case Targets.FILE -> channel = FileChannel.open(Targets.tempDir("dlock-floor-").resolve("floor.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                case Targets.REDIS -> connectRedis(Targets.redisUrl());
                case Targets.REDLOCK -> connectRedis(Targets.redlockUrl());
                case Targets.CLUSTER -> connectSlotMaster(Targets.clusterUrl());
                case Targets.POSTGRES -> {
                    URI u = URI.create(Targets.postgresUrl());
                    String user = u.getUserInfo() == null ? null : u.getUserInfo().split(":", 2)[0];
                    String password = u.getUserInfo() != null && u.getUserInfo().contains(":") ? u.getUserInfo().split(":", 2)[1] : null;
                    jdbc = DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getPath(), user, password);
                    long key = UUID.randomUUID().getMostSignificantBits();
                    lock = jdbc.prepareStatement("SELECT pg_try_advisory_lock(?)");
                    unlock = jdbc.prepareStatement("SELECT pg_advisory_unlock(?)");
                    lock.setLong(1, key);
                    unlock.setLong(1, key);
                }
                default -> throw new IllegalArgumentException(backend);
            }
        }

        private void connectRedis(String url) {
            for (URI server : Targets.redisServers(url)) {
                Jedis j = new Jedis(server.getHost(), server.getPort());
                jedis.add(j);
                redis.add(new RedisFloor(j, name));
            }
        }

        /** A plain connection to the master serving this thread's floor keys, found once through the slot map. */
        private void connectSlotMaster(String url) {
            Set<HostAndPort> seeds = new HashSet<>();
            for (URI seed : Targets.redisServers(url)) seeds.add(new HostAndPort(seed.getHost(), seed.getPort()));
            HostAndPort master;
            try (JedisCluster cluster = new JedisCluster(seeds); redis.clients.jedis.Connection c = cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(RedisFloor.key(name)))) {
                master = c.getHostAndPort();
            }
            Jedis j = new Jedis(master);
            jedis.add(j);
            redis.add(new RedisFloor(j, name));
        }

        @TearDown(Level.Trial)
        public void close() throws IOException, SQLException {
            if (channel != null) channel.close();
            jedis.forEach(Jedis::close);
            if (jdbc != null) jdbc.close();
        }
    }

    @Benchmark
    public boolean floor(Raw raw) throws IOException, SQLException {
        switch (raw.backend) {
            case Targets.FILE -> {
                java.nio.channels.FileLock held = raw.channel.lock();
                held.release();
                return held.isValid();
            }
            case Targets.REDIS, Targets.CLUSTER -> raw.redis.get(0).cycle();
            case Targets.REDLOCK -> RedisFloor.cycle(raw.redis);
            default -> {
                boolean got;
                try (ResultSet rs = raw.lock.executeQuery()) {
                    rs.next();
                    got = rs.getBoolean(1);
                }
                try (ResultSet rs = raw.unlock.executeQuery()) {
                    rs.next();
                }
                return got;
            }
        }
        return true;
    }

}
