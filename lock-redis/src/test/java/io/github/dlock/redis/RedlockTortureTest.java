package io.github.dlock.redis;

import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/** Redlock torture on three servers of its own: one at a time is stopped and comes back empty a second later. */
class RedlockTortureTest extends TortureConformance {
    private static final List<RedisServer> SERVERS = List.of(RedisServer.startOrFail(), RedisServer.startOrFail(), RedisServer.startOrFail());
    private final Random random = new Random();

    @Override
    protected ConformanceBackend backend() {
        return RedisBackend.on(SERVERS, "lease=2s&prefix=torture");
    }

    @Override
    protected List<Torture.Fault> faults() {
        return List.of(new Torture.Fault() {
            @Override
            public String name() {
                return "one node down 1 s, back empty";
            }

            @Override
            public void inject() throws Exception {
                RedisServer node = SERVERS.get(random.nextInt(SERVERS.size()));
                node.stop();
                Thread.sleep(1000);
                node.restartEmpty();
            }
        });
    }

    @Override
    protected Duration faultWindow() {
        return Duration.ofSeconds(3);
    }
}
