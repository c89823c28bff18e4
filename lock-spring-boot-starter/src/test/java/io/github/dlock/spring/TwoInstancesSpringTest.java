package io.github.dlock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.dlock.LockProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Two Spring Boot applications ("instances", each with its own LockProvider from dlock.url,
 * found through the registered auto-configuration) call a @Locked method concurrently from
 * several threads each; the method checks that no other call is inside it and updates a shared
 * counter non-atomically. Against the file backend, Redis and PostgreSQL.
 */
class TwoInstancesSpringTest {
    private static final int THREADS_PER_INSTANCE = 3;
    private static final int CALLS_PER_THREAD = 20;

    @TempDir
    Path dir;

    /** The critical section's shared state (both contexts run in this JVM). */
    static final AtomicInteger inside = new AtomicInteger();
    static final AtomicInteger overlaps = new AtomicInteger();
    static final AtomicLong counter = new AtomicLong();

    public static class Counter {
        @Locked(name = "counter:#{#key}", timeout = "60s")
        public void increment(String key) {
            if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
            long read = counter.get();
            Thread.yield(); // widen the window a lost update needs
            counter.set(read + 1);
            inside.decrementAndGet();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Counter counter() {
            return new Counter();
        }
    }

    private static ConfigurableApplicationContext start(String url) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("dlock.url=" + url, "spring.main.banner-mode=off", "spring.jmx.enabled=false")
                .run();
    }

    private void contend(String url) throws Exception {
        inside.set(0);
        overlaps.set(0);
        counter.set(0);
        String key = Stores.unique("two");
        try (ConfigurableApplicationContext a = start(url); ConfigurableApplicationContext b = start(url)) {
            assertThat(a.getBean(LockProvider.class)).isNotSameAs(b.getBean(LockProvider.class));
            List<Counter> beans = List.of(a.getBean(Counter.class), b.getBean(Counter.class));
            for (Counter c : beans) assertThat(AopUtils.isAopProxy(c)).isTrue();
            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_INSTANCE);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (Counter c : beans) {
                    for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
                        done.add(pool.submit(() -> {
                            start.await();
                            for (int i = 0; i < CALLS_PER_THREAD; i++) c.increment(key);
                            return null;
                        }));
                    }
                }
                start.countDown();
                for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(overlaps).hasValue(0);
        assertThat(counter).hasValue(2L * THREADS_PER_INSTANCE * CALLS_PER_THREAD);
    }

    @Test
    void file() throws Exception {
        contend(Stores.file(dir));
    }

    @Test
    void redis() throws Exception {
        contend(Stores.redis());
    }

    @Test
    void postgres() throws Exception {
        contend(Stores.postgres());
    }
}
