package io.github.dlock.redis;

import static io.github.dlock.redis.Issue14SecondReviewProbesTest.slotOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.Cluster;
import io.github.dlock.testkit.RedisTopologies.RedisProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stalled master (SIGSTOP) must not cost the locks on the other masters: their renewals are
 * applied as their own master answers, not once the stalled master's call has timed out. With a
 * call timeout of 1 s, a round that waits for the stalled master takes 2 to over 3 s (the read
 * timeout, then a slot-map refresh that may ask the stalled node first); applying nothing before
 * it ends let a healthy lock with a 3 s lease lose its deadline in the second stalled round (seen
 * on the code before per-master application). Rounds still run one after another, so the lease
 * must outlast one stalled round: 6 s here (6 × timeout), and the test guards the per-master
 * application against regressions rather than timing how long a round takes.
 */
class RedisClusterStallTest {
    @Test
    @Timeout(120)
    void aStalledMaster_doesNotMakeTheLocksOfHealthyMastersLost() throws Exception {
        Cluster cluster = RedisTopologies.startCluster();
        try {
            String prefix = "stall";
            String healthyName = "healthy";
            RedisProcess healthyMaster = cluster.masterOf(slotOf(prefix, healthyName));
            String stalledName = null;
            for (int i = 0; stalledName == null; i++) {
                if (cluster.masterOf(slotOf(prefix, "stalled-" + i)) != healthyMaster) stalledName = "stalled-" + i;
            }
            RedisProcess stalledMaster = cluster.masterOf(slotOf(prefix, stalledName));
            assertNotSame(healthyMaster, stalledMaster);
            try (LockProvider locks = LockProvider.open(cluster.url("prefix=" + prefix + "&lease=6s&timeout=1s"))) {
                LockHandle healthy = locks.lock(healthyName).tryAcquire().orElseThrow();
                LockHandle stalled = locks.lock(stalledName).tryAcquire().orElseThrow();
                Thread.sleep(2_000); // renewals running
                stalledMaster.pause();
                try {
                    Thread.sleep(12_000); // several rounds, each waiting 1 s for the stalled master
                    assertFalse(healthy.lost().toCompletableFuture().isDone(),
                            "the lock on the healthy master " + healthyMaster.address() + " was reported lost while " + stalledMaster.address() + " stalled");
                } finally {
                    stalledMaster.resume();
                }
                healthy.release();
                try {
                    stalled.release();
                } catch (RuntimeException lostMeanwhile) {
                    // its lease ran out during the stall: lost, as it should be
                }
            }
        } finally {
            cluster.nodes().forEach(RedisProcess::kill);
        }
    }
}
