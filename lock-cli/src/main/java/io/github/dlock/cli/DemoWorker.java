package io.github.dlock.cli;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.time.Duration;

/**
 * One worker process of {@code dlock demo}: takes the demo mutex and a permit of the demo
 * semaphore in turns and prints an event line for each step:
 * {@code EVENT nanoTime worker resource acquired|released token}. Acquired is printed after
 * the lock is held and released before it is let go, so printed intervals lie inside the
 * real ones.
 */
public final class DemoWorker {
    static final String LOCK = "demo:lock";
    static final String POOL = "demo:pool";
    static final int POOL_PERMITS = 2;

    private DemoWorker() {}

    /**
     * Arguments: URL WORKER-NAME ROUNDS. Each round holds the mutex for 80 ms, then a permit
     * for 150 ms, waiting at most a minute for each. On a {@link io.github.dlock.LockException}
     * (including a wait that timed out) it prints one line to standard error and exits with
     * {@value ExitCodes#UNAVAILABLE}.
     *
     * @param args the lock store's URL, this worker's name, and the number of rounds
     * @throws Exception if the arguments are missing or malformed, or the worker is interrupted
     */
    public static void main(String[] args) throws Exception {
        String worker = args[1];
        int rounds = Integer.parseInt(args[2]);
        try (LockProvider provider = LockProvider.open(args[0])) {
            DistributedLock lock = provider.lock(LOCK);
            DistributedLock pool = provider.semaphore(POOL, POOL_PERMITS);
            for (int round = 0; round < rounds; round++) {
                hold(lock, worker, Duration.ofMillis(80));
                hold(pool, worker, Duration.ofMillis(150));
            }
        } catch (io.github.dlock.LockException e) {
            System.err.println("dlock demo " + worker + ": " + e.getMessage()); // one line, not a stack trace
            System.exit(ExitCodes.UNAVAILABLE);
        }
    }

    private static void hold(DistributedLock lock, String worker, Duration work) throws InterruptedException {
        try (LockHandle h = lock.acquire(Duration.ofMinutes(1))) {
            event(worker, lock.name(), "acquired", h.fencingToken());
            Thread.sleep(work.toMillis()); // the demo's stand-in for real work
            event(worker, lock.name(), "released", h.fencingToken());
        }
    }

    private static void event(String worker, String resource, String what, long token) {
        System.out.println("EVENT " + System.nanoTime() + " " + worker + " " + resource + " " + what + " " + token);
        System.out.flush();
    }
}
