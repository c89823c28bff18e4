package io.github.dlock.bench;

import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.BufferedReader;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.redisson.api.RPermitExpirableSemaphore;
import org.redisson.api.RSemaphore;
import org.redisson.api.RedissonClient;

/**
 * One process of the rate-limiting scenario ({@link RateLimit}): {@code workers} threads take
 * a permit of one semaphore, work for {@code workMillis} (a park), give it back, and loop for
 * {@code runMillis}. Protocol on standard input/output: prints {@code ready} once connected and
 * warmed up, starts on a {@code go} line, writes its samples to {@code outFile} and prints
 * {@code done}. Samples are {@code System.nanoTime()} triples (asked, granted, work done), a
 * clock every process on the machine shares (CLOCK_MONOTONIC on Linux), so the parent can
 * count the holders at every instant across both processes.
 *
 * <p>Usage: {@code RateLimitWorker LIBRARY BACKEND NAME PERMITS WORKERS WORK_MILLIS RUN_MILLIS
 * FILE_DIR OUT_FILE}; LIBRARY is {@code dlock}, {@code RSemaphore} or
 * {@code RPermitExpirableSemaphore} (the last two on the Redis server only).
 */
public final class RateLimitWorker {
    /** Redisson's expirable permits get dlock's default lease, so a crashed worker's permit comes back as late as dlock's does. */
    static final long REDISSON_LEASE_SECONDS = 30;

    /** A semaphore of some library: take a permit, give it back. */
    interface Permits extends AutoCloseable {
        Object take() throws Exception;

        void give(Object permit) throws Exception;

        @Override
        void close();
    }

    private RateLimitWorker() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 9) throw new IllegalArgumentException("usage: LIBRARY BACKEND NAME PERMITS WORKERS WORK_MILLIS RUN_MILLIS FILE_DIR OUT_FILE");
        String library = args[0];
        String backend = args[1];
        String name = args[2];
        int permitCount = Integer.parseInt(args[3]);
        int workers = Integer.parseInt(args[4]);
        long workNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[5]));
        long runNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[6]));
        Path fileDir = Path.of(args[7]);
        Path outFile = Path.of(args[8]);
        try (Permits permits = open(library, backend, name, permitCount, fileDir)) {
            for (int i = 0; i < 20; i++) permits.give(permits.take()); // connections open, scripts loaded, code warm
            System.out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (!"go".equals(in.readLine())) throw new IllegalStateException("expected go");
            long start = System.nanoTime();
            long deadline = start + runNanos;
            List<long[]> samples = new ArrayList<>();
            int[] counts = new int[workers];
            Throwable[] failure = new Throwable[1];
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int index = w;
                long[] mine = new long[3 * 8192];
                samples.add(mine);
                threads.add(new Thread(() -> {
                    try {
                        long[] own = mine;
                        int n = 0;
                        while (System.nanoTime() < deadline) {
                            long asked = System.nanoTime();
                            Object permit = permits.take();
                            long granted = System.nanoTime();
                            long until = granted + workNanos;
                            for (long left = workNanos; left > 0; left = until - System.nanoTime()) LockSupport.parkNanos(left);
                            long done = System.nanoTime();
                            permits.give(permit);
                            if (n + 3 > own.length) {
                                own = Arrays.copyOf(own, own.length * 2);
                                samples.set(index, own);
                            }
                            own[n++] = asked;
                            own[n++] = granted;
                            own[n++] = done;
                        }
                        counts[index] = n;
                    } catch (Throwable e) {
                        failure[0] = e;
                    }
                }, "rate-limit-worker-" + w));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) t.join();
            if (failure[0] != null) throw new IllegalStateException("a worker failed: " + failure[0], failure[0]);
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(outFile)))) {
                out.writeLong(start);
                out.writeLong(deadline);
                for (int w = 0; w < workers; w++) {
                    long[] own = samples.get(w);
                    for (int i = 0; i < counts[w]; i++) out.writeLong(own[i]);
                }
            }
            System.out.println("done");
        }
    }

    static Permits open(String library, String backend, String name, int permits, Path fileDir) {
        switch (library) {
            case "dlock": {
                LockProvider provider = Targets.open(backend, fileDir);
                DistributedSemaphore semaphore = provider.semaphore(name, permits);
                return new Permits() {
                    @Override
                    public Object take() throws InterruptedException {
                        return semaphore.acquire();
                    }

                    @Override
                    public void give(Object permit) {
                        ((LockHandle) permit).release();
                    }

                    @Override
                    public void close() {
                        provider.close();
                    }
                };
            }
            case "RSemaphore": {
                RedissonClient redisson = RedisKindsBench.redisson(Targets.redisUrl());
                RSemaphore semaphore = redisson.getSemaphore(name);
                semaphore.trySetPermits(permits); // the first process sets the count, the second finds it set
                return new Permits() {
                    @Override
                    public Object take() throws InterruptedException {
                        semaphore.acquire();
                        return semaphore;
                    }

                    @Override
                    public void give(Object permit) {
                        semaphore.release();
                    }

                    @Override
                    public void close() {
                        redisson.shutdown();
                    }
                };
            }
            case "RPermitExpirableSemaphore": {
                RedissonClient redisson = RedisKindsBench.redisson(Targets.redisUrl());
                RPermitExpirableSemaphore semaphore = redisson.getPermitExpirableSemaphore(name);
                semaphore.trySetPermits(permits);
                return new Permits() {
                    @Override
                    public Object take() throws InterruptedException {
                        return semaphore.acquire(REDISSON_LEASE_SECONDS, TimeUnit.SECONDS);
                    }

                    @Override
                    public void give(Object permit) {
                        semaphore.release((String) permit);
                    }

                    @Override
                    public void close() {
                        redisson.shutdown();
                    }
                };
            }
            default:
                throw new IllegalArgumentException("library must be dlock, RSemaphore or RPermitExpirableSemaphore: " + library);
        }
    }
}
