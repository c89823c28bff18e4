package io.github.dlock.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A holder always learns of its loss before anyone else can take its lock: its {@code lost()}
 * completes at its local validity deadline, fired by a timer, whatever its network path does.
 * The holder reaches Redis through a {@link FaultProxy}, the other client directly.
 */
class RedisLeaseDeadlineTest {
    private static final Duration LEASE = Duration.ofSeconds(2);
    /** Rounds per fault mode: 6 in the build (each round ~2.5 s; the old code failed every round), more with -Ddlock.deadline.rounds. */
    private static final int ROUNDS = Integer.getInteger("dlock.deadline.rounds", 6);
    private static RedisServer server;
    private static LockProvider other;

    @BeforeAll
    static void start() throws Exception {
        server = RedisServer.start();
        other = LockProvider.open("redis://" + server.address() + "?lease=" + LEASE.toMillis() + "ms");
    }

    @AfterAll
    static void stop() {
        other.close();
        server.stop();
    }

    @ParameterizedTest
    @EnumSource(value = FaultProxy.Mode.class, names = {"BLACK_HOLE", "CUT_UPSTREAM", "CUT_DOWNSTREAM", "REFUSE"})
    void partitionedHolder_learnsOfTheLoss_beforeAnotherClientAcquires(FaultProxy.Mode mode) throws Exception {
        List<Long> leads = new ArrayList<>();
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port())) {
            for (int round = 0; round < ROUNDS; round++) {
                try (LockProvider holder = LockProvider.open("redis://" + proxy.address() + "?lease=" + LEASE.toMillis() + "ms")) {
                    String name = "partition-" + mode + "-" + round;
                    LockHandle held = holder.lock(name).acquire();
                    AtomicLong lostAt = new AtomicLong();
                    held.lost().thenRun(() -> lostAt.set(System.nanoTime()));
                    // cut at a different point of the renewal cycle (lease/3) each round
                    Thread.sleep(ThreadLocalRandom.current().nextLong(LEASE.toMillis() / 2));
                    proxy.mode(mode);
                    long acquiredNoEarlierThan = acquireAsSoonAsPossible(name);
                    assertTrue(held.isLost(), mode + " round " + round + ": another client acquired while the holder still believed it held the lock");
                    long lead = acquiredNoEarlierThan - lostAt.get();
                    assertTrue(lead > 0, mode + " round " + round + ": lost() completed " + -lead / 1e6 + " ms after another client's acquisition");
                    leads.add(lead);
                    proxy.heal();
                    held.release();
                }
            }
        }
        Collections.sort(leads);
        System.out.printf("partition %s: loss-signal lead over the other client's acquisition, %d rounds, lease %s: min %.1f ms, median %.1f ms, max %.1f ms%n",
                mode, leads.size(), LEASE, leads.get(0) / 1e6, leads.get(leads.size() / 2) / 1e6, leads.get(leads.size() - 1) / 1e6);
    }

    @Test
    void withRenewalOff_lostCompletesAtTheLeaseDeadline_beforeAnotherClientCanAcquire() throws Exception {
        try (LockProvider holder = LockProvider.open("redis://" + server.address() + "?renew=false&lease=" + LEASE.toMillis() + "ms")) {
            long sent = System.nanoTime();
            LockHandle held = holder.lock("unrenewed").acquire();
            AtomicLong lostAt = new AtomicLong();
            held.lost().thenRun(() -> lostAt.set(System.nanoTime()));
            long acquiredNoEarlierThan = acquireAsSoonAsPossible("unrenewed");
            assertTrue(held.isLost(), "an expired, unrenewed lease was never reported lost");
            assertTrue(lostAt.get() < acquiredNoEarlierThan, "lost() completed after another client acquired");
            long validity = LEASE.toNanos() - (LEASE.toNanos() / 100 + 2_000_000);
            assertTrue(lostAt.get() - sent >= validity, "lost() completed before the lease deadline: " + (lostAt.get() - sent) / 1e6 + " ms");
            held.release();
        }
    }

    /**
     * Tries the lock on the direct client until it gets it; returns the start time of the
     * successful attempt, a lower bound of the moment the server granted it. Pauses 1 ms
     * between attempts so the holder's timer thread gets a core on this small machine.
     */
    private static long acquireAsSoonAsPossible(String name) throws InterruptedException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < giveUp) {
            long attemptStart = System.nanoTime();
            Optional<LockHandle> got = other.lock(name).tryAcquire();
            if (got.isPresent()) {
                got.get().release();
                return attemptStart;
            }
            Thread.sleep(1);
        }
        fail("the other client never got " + name + " (the holder's lease should have run out)");
        return 0;
    }
}
