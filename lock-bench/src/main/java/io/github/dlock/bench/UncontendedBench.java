package io.github.dlock.bench;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockProvider;
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

/** Uncontended mutex acquire + release through dlock: one provider, each thread on a name of its own. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UncontendedBench {

    /** One provider per trial, shared by the benchmark threads. */
    @State(Scope.Benchmark)
    public static class Store {
        @Param({Targets.FILE, Targets.REDIS, Targets.REDLOCK, Targets.POSTGRES, Targets.CLUSTER})
        public String backend;
        LockProvider provider;

        @Setup(Level.Trial)
        public void open() {
            provider = Targets.open(backend, Targets.tempDir("dlock-bench-"));
        }

        @TearDown(Level.Trial)
        public void close() {
            provider.close();
        }
    }

    /** Each thread's own lock, so the threads never contend. */
    @State(Scope.Thread)
    public static class Mine {
        DistributedLock lock;

        @Setup(Level.Trial)
        public void name(Store store) {
            lock = store.provider.lock("uncontended-" + UUID.randomUUID());
        }
    }

    @Benchmark
    public long dlock(Mine mine) throws InterruptedException {
        var handle = mine.lock.acquire();
        long token = handle.fencingToken();
        handle.release();
        return token;
    }

}
