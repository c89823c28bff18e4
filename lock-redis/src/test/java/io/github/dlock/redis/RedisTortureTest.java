package io.github.dlock.redis;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

/**
 * Redis torture on a server of its own, restarted empty now and then (no persistence, so every
 * lease on it is gone: a lease-breaking fault), besides workers killed with kill -9.
 */
class RedisTortureTest extends TortureConformance {
    private static final RedisServer SERVER = start();

    private static RedisServer start() {
        try {
            return RedisServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected ConformanceBackend backend() {
        return new ConformanceBackend() {
            @Override
            public LockProvider openProvider() {
                return LockProvider.open(providerUrl());
            }

            @Override
            public String providerUrl() {
                return "redis://" + SERVER.address() + "?lease=2s&prefix=torture";
            }
        };
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
