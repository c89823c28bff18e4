package io.github.dlock.redis;

import io.github.dlock.DistributedLock;
import io.github.dlock.DistributedReadWriteLock;
import io.github.dlock.DistributedSemaphore;
import io.github.dlock.LockHolder;
import io.github.dlock.LockMode;
import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.RedisClient;

/**
 * The loopback Redis through a caller's own {@link RedisClient} ({@code Builder.client}): the
 * kit's providers are built on a fresh client each (closed after its provider, as an
 * application would); other providers and child JVMs use the URL.
 */
final class RedisClientBackend implements ConformanceBackend {
    private final RedisBackend urlBackend = RedisBackend.single();

    @Override
    public LockProvider openProvider() {
        URI uri = URI.create(RedisBackend.singleServerUrl());
        RedisClient client = RedisClient.create(uri.getHost(), uri.getPort());
        try {
            RedisLockProvider provider = RedisLockProvider.builder().client(client).lease(Duration.ofSeconds(5)).prefix("dlocktest").build();
            return new ClosingClient(provider, client);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    @Override
    public String providerUrl() {
        return urlBackend.providerUrl();
    }

    @Override
    public Set<String> outsideNamespace() throws Exception {
        return urlBackend.outsideNamespace();
    }

    @Override
    public void breakLockExternally(String name, LockMode mode) throws Exception {
        urlBackend.breakLockExternally(name, mode);
    }

    @Override
    public boolean hasLeases() {
        return true;
    }

    /** The provider, then the application's client, closed in that order. */
    private record ClosingClient(LockProvider provider, RedisClient client) implements LockProvider {
        @Override
        public DistributedLock lock(String name) {
            return provider.lock(name);
        }

        @Override
        public DistributedReadWriteLock readWriteLock(String name) {
            return provider.readWriteLock(name);
        }

        @Override
        public DistributedSemaphore semaphore(String name, int permits) {
            return provider.semaphore(name, permits);
        }

        @Override
        public List<LockHolder> holders(String name) {
            return provider.holders(name);
        }

        @Override
        public void close() {
            try {
                provider.close();
            } finally {
                client.close();
            }
        }
    }
}
