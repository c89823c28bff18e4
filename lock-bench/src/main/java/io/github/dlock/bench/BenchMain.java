package io.github.dlock.bench;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;

/**
 * Runs every benchmark of lock-bench in one go, so that ratios compare figures taken minutes
 * apart on the same machine, then writes {@code docs/benchmarks.md}, its chart and the raw JMH
 * JSON. Usage: {@code BenchMain quick|full OUTPUT_DIR}; {@code run.sh} starts the servers it needs.
 */
public final class BenchMain {
    private BenchMain() {}

    /** How long each part runs. */
    record Mode(String name, int forks, int warmups, int warmupSeconds, int iterations, int iterationSeconds, long handoffMillis, int renewalIntervals) {
        static Mode of(String name) {
            return switch (name) {
                case "quick" -> new Mode(name, 1, 1, 2, 3, 2, 4_000, 4);
                case "full" -> new Mode(name, 2, 3, 5, 5, 5, 20_000, 10);
                default -> throw new IllegalArgumentException("mode must be quick or full: " + name);
            };
        }
    }

    public static void main(String[] args) throws Exception {
        Mode mode = Mode.of(args.length > 0 ? args[0] : "quick");
        Path out = Path.of(args.length > 1 ? args[1] : "docs");
        Files.createDirectories(out);
        List<RunResult> results = new ArrayList<>();
        for (int threads : new int[] {1, 8}) {
            results.addAll(jmh(mode, threads, out.resolve("benchmarks-jmh-" + threads + "t.json")));
        }
        Map<String, Handoff.Samples> handoffs = handoffs(mode);
        List<RenewalCost.Result> renewals = List.of(
                RenewalCost.measure("Redis", Targets.redisUrl(), 10_000, mode.renewalIntervals()),
                RenewalCost.measure("Redlock (3)", Targets.redlockUrl(), 10_000, mode.renewalIntervals()));
        new Report(mode, results, handoffs, renewals).write(out);
        System.out.println("wrote " + out.resolve("benchmarks.md") + " and " + out.resolve("benchmarks.png"));
    }

    private static Collection<RunResult> jmh(Mode mode, int threads, Path json) throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(UncontendedBench.class.getSimpleName())
                .include(FloorBench.class.getSimpleName())
                .include(RedisKindsBench.class.getSimpleName())
                .threads(threads)
                .forks(mode.forks())
                .warmupIterations(mode.warmups())
                .warmupTime(TimeValue.seconds(mode.warmupSeconds()))
                .measurementIterations(mode.iterations())
                .measurementTime(TimeValue.seconds(mode.iterationSeconds()))
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend("-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        return new Runner(options.build()).run();
    }

    /** Eight threads on one name per store; Redisson's RLock beside dlock on the same Redis. */
    private static Map<String, Handoff.Samples> handoffs(Mode mode) throws Exception {
        Map<String, Handoff.Samples> samples = new LinkedHashMap<>();
        for (String backend : List.of(Targets.FILE, Targets.REDIS, Targets.REDLOCK, Targets.POSTGRES)) {
            try (LockProvider provider = Targets.open(backend, Targets.tempDir("dlock-handoff-"))) {
                DistributedLock lock = provider.lock("handoff-" + UUID.randomUUID());
                samples.put("dlock " + backend, Handoff.measure(8, mode.handoffMillis(), i -> dlock(lock)));
            }
        }
        RedissonClient redisson = RedisKindsBench.redisson(Targets.redisUrl());
        try {
            RLock lock = redisson.getLock("handoff-" + UUID.randomUUID());
            samples.put("Redisson redis", Handoff.measure(8, mode.handoffMillis(), i -> new Handoff.Lock() {
                @Override
                public void lock() {
                    lock.lock();
                }

                @Override
                public void unlock() {
                    lock.unlock();
                }
            }));
        } finally {
            redisson.shutdown();
        }
        return samples;
    }

    private static Handoff.Lock dlock(DistributedLock lock) {
        return new Handoff.Lock() {
            private LockHandle held;

            @Override
            public void lock() throws InterruptedException {
                held = lock.acquire();
            }

            @Override
            public void unlock() {
                held.release();
            }
        };
    }
}
