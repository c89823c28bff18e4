package io.github.dlock.redis;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import io.github.dlock.testkit.TortureConformance;
import io.github.dlock.testkit.torture.Torture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/** Redlock torture on three servers of its own: one at a time is stopped and comes back empty a second later. */
class RedlockTortureTest extends TortureConformance {
    private static final List<RedisServer> SERVERS = start();
    private final Random random = new Random();

    private static List<RedisServer> start() {
        try {
            return List.of(RedisServer.start(), RedisServer.start(), RedisServer.start());
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
                return "redis://" + SERVERS.stream().map(RedisServer::address).collect(Collectors.joining(",")) + "?lease=2s&prefix=torture";
            }
        };
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
