package io.github.dlock.bench;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.net.URI;
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
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RSemaphore;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * dlock against Redisson on the same Redis server (or the same Redis Cluster), uncontended: mutex ({@code RLock}),
 * reader-writer write side ({@code RReadWriteLock}) and semaphore ({@code RSemaphore}), each
 * thread on names of its own. Both libraries renew leases in the background (Redisson's watchdog).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisKindsBench {

    /** Both clients, opened once per trial, on one server or on the cluster. */
    @State(Scope.Benchmark)
    public static class Clients {
        @Param({Targets.REDIS, Targets.CLUSTER})
        public String backend;
        LockProvider dlock;
        RedissonClient redisson;

        @Setup(Level.Trial)
        public void open() {
            boolean cluster = Targets.CLUSTER.equals(backend);
            dlock = Targets.open(backend, null);
            redisson = cluster ? redissonCluster(Targets.clusterUrl()) : redisson(Targets.redisUrl());
        }

        @TearDown(Level.Trial)
        public void close() {
            dlock.close();
            redisson.shutdown();
        }
    }

    static RedissonClient redisson(String redisUrl) {
        URI server = Targets.redisServers(redisUrl).get(0);
        Config config = new Config();
        config.useSingleServer().setAddress("redis://" + server.getHost() + ":" + server.getPort());
        return Redisson.create(config);
    }

    static RedissonClient redissonCluster(String clusterUrl) {
        Config config = new Config();
        var servers = config.useClusterServers();
        for (URI seed : Targets.redisServers(clusterUrl)) servers.addNodeAddress("redis://" + seed.getHost() + ":" + seed.getPort());
        return Redisson.create(config);
    }

    /** One thread's lock of each kind in each library. */
    @State(Scope.Thread)
    public static class Mine {
        DistributedLock mutex;
        DistributedLock write;
        DistributedSemaphore semaphore;
        RLock rMutex;
        RLock rWrite;
        RSemaphore rSemaphore;

        @Setup(Level.Trial)
        public void name(Clients c) {
            String name = "kinds-" + UUID.randomUUID();
            mutex = c.dlock.lock(name);
            write = c.dlock.readWriteLock(name).writeLock();
            semaphore = c.dlock.semaphore(name, 3);
            rMutex = c.redisson.getLock("rl:" + name);
            rWrite = c.redisson.getReadWriteLock("rrw:" + name).writeLock();
            rSemaphore = c.redisson.getSemaphore("rs:" + name);
            rSemaphore.trySetPermits(3);
        }
    }

    @Benchmark
    public long dlockMutex(Mine m) throws InterruptedException {
        return cycle(m.mutex.acquire());
    }

    @Benchmark
    public long dlockWriteLock(Mine m) throws InterruptedException {
        return cycle(m.write.acquire());
    }

    @Benchmark
    public long dlockSemaphore(Mine m) throws InterruptedException {
        return cycle(m.semaphore.acquire());
    }

    @Benchmark
    public void redissonMutex(Mine m) {
        m.rMutex.lock();
        m.rMutex.unlock();
    }

    @Benchmark
    public void redissonWriteLock(Mine m) {
        m.rWrite.lock();
        m.rWrite.unlock();
    }

    @Benchmark
    public void redissonSemaphore(Mine m) throws InterruptedException {
        m.rSemaphore.acquire();
        m.rSemaphore.release();
    }

    private static long cycle(LockHandle handle) {
        long token = handle.fencingToken();
        handle.release();
        return token;
    }
}
