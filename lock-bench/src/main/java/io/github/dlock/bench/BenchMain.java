package io.github.dlock.bench;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;

/**
 * Runs every benchmark of lock-bench in one go and writes {@code docs/benchmarks.md}, its
 * chart and the raw JMH JSON. Each comparison is a {@link Pair} measured back to back (ours,
 * then the floor or Redisson), several rounds interleaved, and reported as the median of the
 * per-round ratios: on a shared, noisy machine the ratio of adjacent runs is far steadier than
 * either figure. Usage: {@code BenchMain quick|full|smoke OUTPUT_DIR [PAIR...]}; naming pairs
 * (labels such as {@code postgres} or {@code Mutex}) measures only those and skips the handoff
 * and renewal parts. {@code run.sh} starts the servers it needs.
 */
public final class BenchMain {
    private BenchMain() {}

    /** How long each part runs; every pair is measured {@code rounds} times, interleaved. */
    record Mode(String name, int rounds, int warmups, int warmupSeconds, int iterations, int iterationSeconds, long handoffMillis,
            int renewalIntervals, long rateLimitMillis, int virtualThreadRounds) {
        static Mode of(String name) {
            return switch (name) {
                case "quick" -> new Mode(name, 3, 1, 1, 2, 1, 4_000, 4, 20_000, 5);
                case "full" -> new Mode(name, 5, 1, 3, 3, 2, 20_000, 10, 20_000, 9);
                case "smoke" -> new Mode(name, 1, 0, 1, 1, 1, 1_000, 1, 2_000, 1); // checks that everything runs; figures meaningless
                default -> throw new IllegalArgumentException("mode must be quick, full or smoke: " + name);
            };
        }
    }

    /** Two benchmarks measured back to back, ours first: their ratio is the figure that matters. */
    record Pair(String label, String ours, String peer, String backend) {}

    static final List<Pair> PAIRS = List.of(
            new Pair(Targets.FILE, "UncontendedBench.dlock", "FloorBench.floor", Targets.FILE),
            new Pair(Targets.REDIS, "UncontendedBench.dlock", "FloorBench.floor", Targets.REDIS),
            new Pair(Targets.REDLOCK, "UncontendedBench.dlock", "FloorBench.floor", Targets.REDLOCK),
            new Pair(Targets.POSTGRES, "UncontendedBench.dlock", "FloorBench.floor", Targets.POSTGRES),
            new Pair(Targets.CLUSTER, "UncontendedBench.dlock", "FloorBench.floor", Targets.CLUSTER),
            new Pair("Mutex", "RedisKindsBench.dlockMutex", "RedisKindsBench.redissonMutex", Targets.REDIS),
            new Pair("WriteLock", "RedisKindsBench.dlockWriteLock", "RedisKindsBench.redissonWriteLock", Targets.REDIS),
            new Pair("Semaphore", "RedisKindsBench.dlockSemaphore", "RedisKindsBench.redissonSemaphore", Targets.REDIS),
            new Pair("Cluster mutex", "RedisKindsBench.dlockMutex", "RedisKindsBench.redissonMutex", Targets.CLUSTER));

    static final int[] THREADS = {1, 8};

    /** The parts other than the JMH pairs; naming one on the command line runs it (and no pair not named). */
    static final List<String> PARTS = List.of("handoff", "cache", "rate", "vthreads", "renewal");

    static final List<String> STORES = List.of(Targets.FILE, Targets.REDIS, Targets.REDLOCK, Targets.POSTGRES, Targets.CLUSTER);

    public static void main(String[] args) throws Exception {
        Mode mode = Mode.of(args.length > 0 ? args[0] : "quick");
        Path out = Path.of(args.length > 1 ? args[1] : "docs");
        List<String> only = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
        for (String label : only) {
            if (!PARTS.contains(label) && PAIRS.stream().noneMatch(p -> p.label().equals(label))) {
                throw new IllegalArgumentException("no such pair or part: " + label + " (parts: " + PARTS + ")");
            }
        }
        Files.createDirectories(out);
        List<RunResult> results = new ArrayList<>();
        Map<String, List<double[]>> rounds = new LinkedHashMap<>(); // pair@threads -> per round {ours, peer, oursAlloc, peerAlloc}
        for (int round = 1; round <= mode.rounds(); round++) {
            for (int threads : THREADS) {
                for (Pair pair : PAIRS) {
                    if (!only.isEmpty() && !only.contains(pair.label())) continue;
                    System.out.printf("bench: round %d/%d, %s, %d thread(s)%n", round, mode.rounds(), pair.label(), threads);
                    RunResult ours = jmh(mode, threads, pair.ours(), pair.backend());
                    RunResult peer = jmh(mode, threads, pair.peer(), pair.backend());
                    results.add(ours);
                    results.add(peer);
                    rounds.computeIfAbsent(key(pair, threads), k -> new ArrayList<>())
                            .add(new double[] {score(ours), score(peer), allocation(ours), allocation(peer)});
                }
            }
        }
        if (!results.isEmpty()) {
            try (PrintStream json = new PrintStream(Files.newOutputStream(out.resolve("benchmarks-jmh.json")), true, StandardCharsets.UTF_8)) {
                ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(results);
            }
        }
        Report.Parts parts = new Report.Parts(
                part(only, "handoff") ? handoffs(mode) : Map.of(),
                part(only, "cache") ? sharedCaches(mode) : Map.of(),
                part(only, "rate") ? rateLimits(mode) : Map.of(),
                part(only, "vthreads") ? virtualThreads(mode) : Map.of(),
                part(only, "renewal") ? List.of(
                        RenewalCost.measure("Redis", Targets.redisUrl(), 10_000, mode.renewalIntervals()),
                        RenewalCost.measure("Redlock (3)", Targets.redlockUrl(), 10_000, mode.renewalIntervals()),
                        RenewalCost.measure("Cluster (3 masters)", Targets.clusterUrl(), 10_000, mode.renewalIntervals())) : List.of());
        new Report(mode, rounds, parts).write(out);
        System.out.println("wrote " + out.resolve("benchmarks.md") + (only.isEmpty() ? " and its charts" : " (only " + only + ")"));
    }

    private static boolean part(List<String> only, String part) {
        return only.isEmpty() || only.contains(part);
    }

    /** The rate-limiting scenario on every store, and Redisson's two semaphores on the same Redis. */
    private static Map<String, RateLimit.Result> rateLimits(Mode mode) throws Exception {
        Map<String, RateLimit.Result> results = new LinkedHashMap<>();
        for (String backend : STORES) {
            System.out.printf("bench: rate limiting, %s%n", backend);
            results.put("dlock " + backend, RateLimit.run("dlock", backend, mode.rateLimitMillis()));
        }
        for (String library : List.of("RSemaphore", "RPermitExpirableSemaphore")) {
            System.out.printf("bench: rate limiting, Redisson %s%n", library);
            results.put("Redisson " + library + " redis", RateLimit.run(library, Targets.REDIS, mode.rateLimitMillis()));
        }
        return results;
    }

    /** Virtual against platform threads on every store, in a JDK 21+ JVM; empty (and said) if there is none. */
    private static Map<String, VirtualThreads.Result> virtualThreads(Mode mode) throws Exception {
        Map<String, VirtualThreads.Result> results = new LinkedHashMap<>();
        for (String backend : STORES) {
            System.out.printf("bench: virtual threads, %s%n", backend);
            VirtualThreads.Result r = VirtualThreads.measure(backend, mode.virtualThreadRounds());
            if (r == null) {
                System.out.println("bench: no JDK 21 or later (set DLOCK_BENCH_JAVA21): virtual threads not measured");
                return results;
            }
            results.put(backend, r);
        }
        return results;
    }

    static String key(Pair pair, int threads) {
        return pair.label() + "@" + threads;
    }

    private static RunResult jmh(Mode mode, int threads, String benchmark, String backend) throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(BenchMain.class.getPackageName() + "." + benchmark) + "$")
                .threads(threads)
                .forks(1)
                .warmupIterations(mode.warmups())
                .warmupTime(TimeValue.seconds(mode.warmupSeconds()))
                .measurementIterations(mode.iterations())
                .measurementTime(TimeValue.seconds(mode.iterationSeconds()))
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend("-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .verbosity(VerboseMode.SILENT);
        if (backend != null) options.param("backend", backend);
        Collection<RunResult> run = new Runner(options.build()).run();
        if (run.size() != 1) throw new IllegalStateException("expected one result for " + benchmark + " " + backend + ", got " + run.size());
        return run.iterator().next();
    }

    private static double score(RunResult r) {
        return r.getPrimaryResult().getScore();
    }

    private static double allocation(RunResult r) {
        Result<?> norm = r.getSecondaryResults().get("gc.alloc.rate.norm");
        if (norm == null) norm = r.getSecondaryResults().get("\u00b7gc.alloc.rate.norm");
        return norm == null ? Double.NaN : norm.getScore();
    }

    /** Eight threads on one name per store; Redisson's RLock beside dlock on the same Redis. */
    private static Map<String, Handoff.Samples> handoffs(Mode mode) throws Exception {
        Map<String, Handoff.Samples> samples = new LinkedHashMap<>();
        for (String backend : STORES) {
            try (LockProvider provider = Targets.open(backend, Targets.tempDir("dlock-handoff-"))) {
                DistributedLock lock = provider.lock("handoff-" + UUID.randomUUID());
                samples.put("dlock " + backend, Handoff.measure(8, mode.handoffMillis(), i -> dlock(lock)));
            }
        }
        samples.put("Redisson redis", redissonHandoff(mode, RedisKindsBench.redisson(Targets.redisUrl())));
        samples.put("Redisson cluster", redissonHandoff(mode, RedisKindsBench.redissonCluster(Targets.clusterUrl())));
        return samples;
    }

    /** The shared-cache scenario on every store, and Redisson's {@code RReadWriteLock} on the same Redis and cluster. */
    private static Map<String, SharedCache.Result> sharedCaches(Mode mode) throws Exception {
        Map<String, SharedCache.Result> results = new LinkedHashMap<>();
        for (String backend : STORES) {
            System.out.printf("bench: shared cache, %s%n", backend);
            try (LockProvider provider = Targets.open(backend, Targets.tempDir("dlock-cache-"))) {
                io.github.dlock.DistributedReadWriteLock rw = provider.readWriteLock("cache-" + UUID.randomUUID());
                results.put("dlock " + backend, SharedCache.run(dlock(rw), mode.handoffMillis()));
            }
        }
        for (String backend : List.of(Targets.REDIS, Targets.CLUSTER)) {
            System.out.printf("bench: shared cache, Redisson %s%n", backend);
            RedissonClient redisson = backend.equals(Targets.REDIS) ? RedisKindsBench.redisson(Targets.redisUrl())
                    : RedisKindsBench.redissonCluster(Targets.clusterUrl());
            try {
                org.redisson.api.RReadWriteLock rw = redisson.getReadWriteLock("cache-" + UUID.randomUUID());
                results.put("Redisson " + backend, SharedCache.run(new SharedCache.ReadWriteLock() {
                    @Override
                    public void lockRead() {
                        rw.readLock().lock();
                    }

                    @Override
                    public void unlockRead() {
                        rw.readLock().unlock();
                    }

                    @Override
                    public void lockWrite() {
                        rw.writeLock().lock();
                    }

                    @Override
                    public void unlockWrite() {
                        rw.writeLock().unlock();
                    }
                }, mode.handoffMillis()));
            } finally {
                redisson.shutdown();
            }
        }
        return results;
    }

    /** dlock's reader-writer lock as the scenario needs it: each thread keeps the handle it took. */
    private static SharedCache.ReadWriteLock dlock(io.github.dlock.DistributedReadWriteLock rw) {
        ThreadLocal<LockHandle> held = new ThreadLocal<>();
        return new SharedCache.ReadWriteLock() {
            @Override
            public void lockRead() throws InterruptedException {
                held.set(rw.readLock().acquire());
            }

            @Override
            public void unlockRead() {
                held.get().release();
            }

            @Override
            public void lockWrite() throws InterruptedException {
                held.set(rw.writeLock().acquire());
            }

            @Override
            public void unlockWrite() {
                held.get().release();
            }
        };
    }

    /** Handoff through Redisson's {@code RLock}; shuts {@code redisson} down. */
    private static Handoff.Samples redissonHandoff(Mode mode, RedissonClient redisson) throws Exception {
        try {
            RLock lock = redisson.getLock("handoff-" + UUID.randomUUID());
            return Handoff.measure(8, mode.handoffMillis(), i -> new Handoff.Lock() {
                @Override
                public void lock() {
                    lock.lock();
                }

                @Override
                public void unlock() {
                    lock.unlock();
                }
            });
        } finally {
            redisson.shutdown();
        }
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
