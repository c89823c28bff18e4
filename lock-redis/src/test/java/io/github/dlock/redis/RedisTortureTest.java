package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.time.Duration;
import java.util.List;

/**
 * Redis torture on a server of its own, restarted empty now and then (no persistence, so every
 * lease on it is gone: a lease-breaking fault), besides workers killed with kill -9.
 */
class RedisTortureTest extends TortureConformance {
    private static final RedisServer SERVER = RedisServer.startOrFail();

    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.on(List.of(SERVER), "lease=2s&prefix=torture");
    }

    @Override
    protected List<Torture.Fault> faults() {
        return List.of(new Torture.Fault() {
            @Override
            public String name() {
                return "restart empty";
            }

            @Override
            public void inject() throws Exception {
                SERVER.restartEmpty();
            }
        });
    }

    @Override
    protected Duration faultWindow() {
        return Duration.ofSeconds(3); // the 2 s lease and a margin
    }
}
