package io.github.dlock.testkit.torture;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * One torture worker process: until its deadline, takes one of {@link Torture#MUTEX} (exclusive),
 * {@link Torture#RW} (read or write) or {@link Torture#SEMAPHORE} ({@link Torture#PERMITS}
 * permits) at random, and logs each critical section: an {@code S} line when it starts, an
 * {@code E} line when it ends (so a section cut short by {@code kill -9} is still known). An
 * exclusive section also increments a plain counter file (read, pause, write: a lost update
 * if two ever overlap) and writes its fencing token to a {@link GuardedResource}, whether or not
 * the lock was lost meanwhile, so that fencing, not luck, is what stops stale writes. When a
 * handle's {@code lost()} completes, an {@code L} line records it; after a rejected write the
 * worker waits (up to {@value #LOST_PATIENCE_SECONDS} s) for that line before it goes on, so that
 * the checker can tell whether the holder was told of its loss.
 *
 * <p>Arguments: {@code URL DIR WORKER SECONDS SEED}.
 */
public final class TortureWorker {
    static final int LOST_PATIENCE_SECONDS = 30;

    private TortureWorker() {}

    /**
     * Runs the worker until its deadline; prints {@code READY} once its provider is open.
     *
     * @param args {@code URL DIR WORKER SECONDS SEED}, as above
     * @throws Exception if the arguments are bad, the provider cannot be opened, or the log
     *     cannot be written
     */
    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path dir = Path.of(args[1]);
        String worker = args[2];
        long end = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
        Random random = new Random(Long.parseLong(args[4]));
        try (LockProvider provider = LockProvider.open(url);
                OutputStream log = new FileOutputStream(dir.resolve("worker-" + worker + ".log").toFile(), true)) {
            System.out.println("READY");
            System.out.flush();
            while (System.nanoTime() < end) {
                int op = random.nextInt(4);
                String name = op == 0 ? Torture.MUTEX : op == 3 ? Torture.SEMAPHORE : Torture.RW;
                String mode = op == 0 ? "exclusive" : op == 1 ? "read" : op == 2 ? "write" : "permit";
                DistributedLock lock = switch (op) {
                    case 0 -> provider.lock(name);
                    case 1 -> provider.readWriteLock(name).readLock();
                    case 2 -> provider.readWriteLock(name).writeLock();
                    default -> provider.semaphore(name, Torture.PERMITS);
                };
                Optional<LockHandle> acquired;
                try {
                    acquired = lock.tryAcquire(Duration.ofSeconds(2));
                } catch (LockException e) {
                    line(log, "X\t" + worker + "\t" + name + "\t" + System.nanoTime() + "\t" + oneLine(e));
                    Thread.sleep(50);
                    continue;
                }
                if (acquired.isEmpty()) continue;
                try (LockHandle handle = acquired.get()) {
                    section(log, dir, worker, name, mode, handle, random);
                } catch (LockException e) {
                    line(log, "X\t" + worker + "\t" + name + "\t" + System.nanoTime() + "\t" + oneLine(e)); // e.g. release after loss
                }
            }
        }
    }

    private static void section(OutputStream log, Path dir, String worker, String name, String mode, LockHandle handle, Random random)
            throws IOException, InterruptedException {
        long token = handle.fencingToken();
        java.util.concurrent.CompletableFuture<Void> lostLogged = handle.lost().thenRun(() -> {
            try {
                line(log, "L\t" + worker + "\t" + name + "\t" + token + "\t" + System.nanoTime());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // the log is closed: the worker is exiting
            }
        }).toCompletableFuture();
        long start = System.nanoTime();
        line(log, "S\t" + worker + "\t" + name + "\t" + mode + "\t" + token + "\t" + start);
        int incremented = 0;
        String write = "-";
        if (mode.equals("exclusive") || mode.equals("write")) {
            Path counter = dir.resolve("counter-" + name);
            long value = readCounter(counter);
            Thread.sleep(pause(random)); // widen the window in which an overlap would lose an update
            writeCounter(counter, value + 1);
            incremented = 1;
            write = GuardedResource.write(dir.resolve("resource-" + name), token, worker) ? "accepted" : "rejected";
        } else {
            Thread.sleep(pause(random));
        }
        long endNanos = System.nanoTime();
        line(log, "E\t" + worker + "\t" + name + "\t" + mode + "\t" + token + "\t" + start + "\t" + endNanos + "\t" + incremented + "\t" + write
                + "\t" + (handle.isLost() ? "lost" : "held"));
        if (write.equals("rejected")) { // a stale holder: it must be told, and the L line must be written before a kill can stop it
            try {
                lostLogged.get(LOST_PATIENCE_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // no L line: the checker reports it
            }
        }
    }

    /** The counter's value: a fixed-width number, or 0 if never written. */
    static long readCounter(Path counter) throws IOException {
        if (!Files.exists(counter)) return 0;
        String text = Files.readString(counter).trim();
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    /**
     * Overwrites the counter in place with one small write (no truncation first), so a holder
     * killed mid-write cannot leave it empty; a lost update stays a lost update.
     */
    private static void writeCounter(Path counter, long value) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(counter, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(String.format("%020d", value).getBytes(StandardCharsets.US_ASCII)), 0);
        }
    }

    /** Mostly 0–2 ms; one section in four lasts 20–50 ms, so that many kills land inside a section. */
    private static long pause(Random random) {
        return random.nextInt(4) == 0 ? 20 + random.nextInt(31) : random.nextInt(3);
    }

    private static void line(OutputStream log, String text) throws IOException {
        log.write((text + "\n").getBytes(StandardCharsets.UTF_8)); // one write per line: a kill cannot split it
    }

    private static String oneLine(Throwable e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replaceAll("\\s+", " ");
    }
}
