package io.github.dlock.testkit;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The program {@link ChildJvm} runs. Commands (URL is a provider URL, MODE one of
 * {@code exclusive}, {@code read}, {@code write}, {@code permit:N}):
 * <ul>
 *   <li>{@code count URL NAME FILE N}: N times, under the mutex, read "count token" from FILE,
 *       check the token increased, write count+1 and the token. Exit 0, or 3 on a token
 *       that did not increase.
 *   <li>{@code hold URL NAME MODE}: acquire, print {@code HELD token}, hold until standard
 *       input closes, release, exit 0.
 *   <li>{@code probe URL NAME MODE}: try-acquire and release repeatedly until an attempt
 *       fails, then print {@code BLOCKED}; print {@code NEVER-BLOCKED} after 20 s.
 *   <li>{@code contend URL NAME PERMITS THREADS MILLIS HOLD_MS}: print {@code READY}, wait for a
 *       line {@code GO} on standard input, then on THREADS threads for MILLIS ms take a permit
 *       of the semaphore, hold it HOLD_MS ms and release it, again and again; print
 *       {@code ACQUIRED n TIMEOUTS t} (acquisitions made, and acquires that timed out after 30 s).
 * </ul>
 */
public final class ChildWorker {
    private ChildWorker() {}

    /**
     * Runs one command, then exits (0 unless stated otherwise above).
     *
     * @param args the command and its arguments, as listed above
     * @throws Exception if the arguments are bad, the store fails, or a wait is interrupted
     */
    public static void main(String[] args) throws Exception {
        try (LockProvider provider = LockProvider.open(args[1])) {
            switch (args[0]) {
                case "count":
                    System.exit(count(provider.lock(args[2]), Path.of(args[3]), Integer.parseInt(args[4])));
                    break;
                case "hold":
                    hold(lockFor(provider, args[2], args[3]));
                    break;
                case "probe":
                    probe(lockFor(provider, args[2], args[3]));
                    break;
                case "contend":
                    contend(provider.semaphore(args[2], Integer.parseInt(args[3])), Integer.parseInt(args[4]), Long.parseLong(args[5]),
                            Long.parseLong(args[6]));
                    break;
                default:
                    throw new IllegalArgumentException("unknown command " + args[0]);
            }
        }
        System.exit(0);
    }

    static DistributedLock lockFor(LockProvider provider, String name, String mode) {
        switch (mode) {
            case "exclusive": return provider.lock(name);
            case "read": return provider.readWriteLock(name).readLock();
            case "write": return provider.readWriteLock(name).writeLock();
            default:
                if (mode.startsWith("permit:")) return provider.semaphore(name, Integer.parseInt(mode.substring(7)));
                throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    private static int count(DistributedLock lock, Path file, int iterations) throws Exception {
        int violations = 0;
        for (int i = 0; i < iterations; i++) {
            try (LockHandle h = lock.acquire(Duration.ofMinutes(1))) {
                String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
                String[] parts = text.isEmpty() ? new String[] {"0", "0"} : text.split(" ");
                long count = Long.parseLong(parts[0]);
                long lastToken = Long.parseLong(parts[1]);
                if (h.fencingToken() <= lastToken) {
                    violations++;
                    System.out.println("VIOLATION token " + h.fencingToken() + " after " + lastToken);
                }
                Files.writeString(file, (count + 1) + " " + h.fencingToken(), StandardCharsets.UTF_8);
            }
        }
        System.out.println("DONE violations=" + violations);
        return violations == 0 ? 0 : 3;
    }

    private static void hold(DistributedLock lock) throws Exception {
        try (LockHandle h = lock.acquire(Duration.ofMinutes(1))) {
            System.out.println("HELD " + h.fencingToken());
            System.out.flush();
            while (System.in.read() >= 0) { /* hold until the parent closes our input */ }
        }
        System.out.println("RELEASED");
    }

    private static void contend(DistributedLock semaphore, int threads, long millis, long holdMs) throws Exception {
        semaphore.tryAcquire(Duration.ofSeconds(30)).ifPresent(LockHandle::release); // connections and classes ready before the start
        System.out.println("READY");
        System.out.flush();
        String go = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (!"GO".equals(go)) throw new IllegalStateException("expected GO, got " + go);
        long end = System.nanoTime() + millis * 1_000_000;
        java.util.concurrent.atomic.AtomicLong acquired = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong timeouts = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        try (LockHandle h = semaphore.acquire(Duration.ofSeconds(30))) {
                            acquired.incrementAndGet();
                            Thread.sleep(holdMs);
                        } catch (io.github.dlock.LockTimeoutException e) {
                            timeouts.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) worker.join();
        System.out.println("ACQUIRED " + acquired.get() + " TIMEOUTS " + timeouts.get());
    }

    private static void probe(DistributedLock lock) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<LockHandle> h = lock.tryAcquire();
            if (h.isEmpty()) {
                System.out.println("BLOCKED");
                return;
            }
            h.get().release();
        }
        System.out.println("NEVER-BLOCKED");
    }
}
