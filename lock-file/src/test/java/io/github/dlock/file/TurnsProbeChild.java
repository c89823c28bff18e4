package io.github.dlock.file;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Child programs for {@link TurnsReviewProbesTest} (review of issue 12, items 10 and 11).
 * <ul>
 *   <li>{@code churn URL NAME KIND THREADS MARKERS MILLIS}: KIND {@code lock} or {@code sem:N}. For MILLIS ms,
 *       THREADS threads take the lock by acquire(30s), tryAcquire(), acquire(1-50 ms), acquireAsync+cancel(true)
 *       or on a second provider that is closed while it waits; every holder creates a marker file in MARKERS,
 *       counts the markers of live processes (more than N prints {@code VIOLATION}), sleeps 0-3 ms and removes
 *       its marker before releasing. Prints {@code READY}, then {@code DONE acquired=A violations=V}.
 *   <li>{@code tryonce URL NAME}: one tryAcquire(); prints {@code GOT} or {@code BUSY}.
 *   <li>{@code raw PATH SPEC...}: with a plain FileChannel (not this library), SPEC {@code lock:OFFSET} (one byte,
 *       exclusive) or {@code write:OFFSET:VALUE} (a long) or {@code places:FROM:COUNT:FIRSTTICKET} (lock the
 *       liveness bytes of COUNT queue places and write tickets into them, and the used-count); prints
 *       {@code LOCKED} and keeps everything until standard input closes.
 * </ul>
 */
public final class TurnsProbeChild {
    private TurnsProbeChild() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "raw":
                raw(args);
                break;
            case "tryonce":
                try (LockProvider p = LockProvider.open(args[1])) {
                    Optional<LockHandle> h = p.lock(args[2]).tryAcquire();
                    System.out.println(h.isPresent() ? "GOT" : "BUSY");
                    h.ifPresent(LockHandle::release);
                }
                break;
            case "churn":
                churn(args[1], args[2], args[3], Integer.parseInt(args[4]), Path.of(args[5]), Long.parseLong(args[6]));
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
        System.exit(0);
    }

    private static void raw(String[] args) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<java.nio.channels.FileLock> held = new ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                String[] p = args[i].split(":");
                switch (p[0]) {
                    case "lock":
                        held.add(ch.lock(Long.parseLong(p[1]), 1, false));
                        break;
                    case "write":
                        ch.write(ByteBuffer.allocate(8).putLong(0, Long.parseLong(p[2])), Long.parseLong(p[1]));
                        break;
                    case "places": {
                        int from = Integer.parseInt(p[1]);
                        int count = Integer.parseInt(p[2]);
                        long first = Long.parseLong(p[3]);
                        for (int k = from; k < from + count; k++) {
                            held.add(ch.lock((1L << 43) + k, 1, false));
                            ch.write(ByteBuffer.allocate(8).putLong(0, first + k - from), LockFile.PLACES_AT + 8L * k);
                        }
                        ch.write(ByteBuffer.allocate(8).putLong(0, from + count), 16);
                        ch.write(ByteBuffer.allocate(8).putLong(0, first + count), 8);
                        break;
                    }
                    default:
                        throw new IllegalArgumentException(args[i]);
                }
            }
            System.out.println("LOCKED " + held.size());
            System.out.flush();
            while (System.in.read() >= 0) { /* hold */ }
        }
    }

    private static DistributedLock lockOf(LockProvider p, String name, String kind) {
        return kind.equals("lock") ? p.lock(name) : p.semaphore(name, Integer.parseInt(kind.substring(4)));
    }

    private static void churn(String url, String name, String kind, int threads, Path markers, long millis) throws Exception {
        int limit = kind.equals("lock") ? 1 : Integer.parseInt(kind.substring(4));
        long pid = ProcessHandle.current().pid();
        Files.createDirectories(markers);
        AtomicLong acquired = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        try (LockProvider provider = LockProvider.open(url)) {
            DistributedLock lock = lockOf(provider, name, kind);
            System.out.println("READY");
            System.out.flush();
            long end = System.nanoTime() + millis * 1_000_000;
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    long seq = 0;
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        try {
                            Optional<LockHandle> h;
                            int how = rnd.nextInt(10);
                            if (how < 5) {
                                h = lock.tryAcquire(Duration.ofSeconds(30));
                            } else if (how < 7) {
                                h = lock.tryAcquire();
                                if (h.isEmpty()) Thread.sleep(1);
                            } else if (how < 8) {
                                h = lock.tryAcquire(Duration.ofMillis(1 + rnd.nextInt(50)));
                            } else if (how < 9) {
                                CompletableFuture<LockHandle> f = lock.acquireAsync(Duration.ofSeconds(30));
                                Thread.sleep(rnd.nextInt(5));
                                if (f.cancel(true)) {
                                    h = Optional.empty();
                                } else {
                                    h = Optional.of(f.join());
                                }
                            } else {
                                try (LockProvider second = LockProvider.open(url)) {
                                    CompletableFuture<LockHandle> f = lockOf(second, name, kind).acquireAsync(Duration.ofSeconds(30));
                                    Thread.sleep(rnd.nextInt(5));
                                    second.close(); // while it may wait: its place must go, and nothing stays held
                                    try {
                                        f.join().release();
                                    } catch (RuntimeException closed) {
                                        // closed while waiting
                                    }
                                }
                                h = Optional.empty();
                            }
                            if (h.isEmpty()) continue;
                            try (LockHandle held = h.get()) {
                                acquired.incrementAndGet();
                                Path marker = markers.resolve(pid + "-" + id + "-" + (seq++));
                                Files.createFile(marker);
                                long live = liveMarkers(markers);
                                if (live > limit) {
                                    violations.incrementAndGet();
                                    System.out.println("VIOLATION " + live + " holders of " + limit + ": " + listing(markers));
                                    System.out.flush();
                                }
                                int sleep = rnd.nextInt(4);
                                if (sleep > 0) Thread.sleep(sleep);
                                Files.delete(marker);
                            }
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception e) {
                            System.out.println("ERROR " + e);
                            System.out.flush();
                        }
                    }
                });
                w.start();
                workers.add(w);
            }
            for (Thread w : workers) w.join();
        }
        System.out.println("DONE acquired=" + acquired.get() + " violations=" + violations.get());
    }

    /** Markers of processes that are alive (not zombies): a killed process's markers stay behind. */
    static long liveMarkers(Path markers) throws IOException {
        try (Stream<Path> s = Files.list(markers)) {
            return s.filter(p -> {
                long pid = Long.parseLong(p.getFileName().toString().split("-")[0]);
                return alive(pid) && !Files.exists(markers.resolveSibling("dead-" + pid)); // the parent notes a kill before it
            }).count();
        }
    }

    static String listing(Path markers) throws IOException {
        try (Stream<Path> s = Files.list(markers)) {
            return s.map(p -> p.getFileName().toString()).sorted().reduce((a, b) -> a + "," + b).orElse("");
        }
    }

    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
