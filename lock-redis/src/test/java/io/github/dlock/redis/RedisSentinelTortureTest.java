package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.RedisTopologies;
import io.github.dlock.testkit.RedisTopologies.SentinelSet;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.time.Duration;
import java.util.List;

/**
 * Torture on a Sentinel set of its own with {@code replicas=1}, failing over now and then
 * ({@code SENTINEL FAILOVER}), besides workers killed with kill -9.
 */
class RedisSentinelTortureTest extends TortureConformance {
    private static final SentinelSet SET = start();

    private static SentinelSet start() {
        try {
            return RedisTopologies.startSentinelSet();
        } catch (Exception e) {
            throw new AssertionError("cannot start the Sentinel set (is redis-server on PATH?)", e);
        }
    }

    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.onSentinels(SET, "lease=5s&prefix=torture&replicas=1&replicaTimeout=2s");
    }

    @Override
    protected List<Torture.Fault> faults() {
        return List.of(new Torture.Fault() {
            @Override
            public String name() {
                return "sentinel failover";
            }

            @Override
            public void inject() throws Exception {
                SET.failover();
            }
        });
    }

    @Override
    protected Duration faultWindow() {
        return Duration.ofSeconds(5); // the lease
    }
}
