package io.github.dlock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.dlock.LockProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Adversarial review probes (issue 13 review, round b) of @Locked and the health indicator, on the file backend. */
class Issue13SpringReviewProbesTest {
    @TempDir
    Path dir;

    /** A bean of the probes' own. */
    public static class ProbeJobs {
        final AtomicInteger runs = new AtomicInteger();

        @Locked(name = "#{#name}", waitForLock = false)
        public String once(String name) {
            runs.incrementAndGet();
            return "ran";
        }

        @Locked(name = "order:#{#id}", timeout = "1s")
        public String byId(String id) {
            return CurrentLock.handle().map(h -> h.name()).orElse("no handle");
        }

        @Locked(name = "#{#name}", timeout = "999999d")
        public String hugeTimeout(String name) {
            return "ran";
        }

        public int runs() {
            return runs.get();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ProbeConfig {
        @Bean
        ProbeJobs probeJobs() {
            return new ProbeJobs();
        }
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DlockAutoConfiguration.class))
                .withUserConfiguration(ProbeConfig.class)
                .withPropertyValues("dlock.url=" + Stores.file(dir));
    }

    /**
     * FINDING: a @Locked(waitForLock = false) method called on a thread whose interrupt status is
     * set (a pool thread after a cancelled task, code that restored an interrupt) does not run
     * although its lock is free: tryAcquire() gives up on the interrupt status, and the aspect
     * reports it as a conflict (LockTimeoutException "was not acquired", or with
     * on-conflict=skip a silent null). Same bug as the one fixed in ThreadOwnedLock.tryLock() in
     * round 13. Expected: the free lock is taken (the interrupt status kept), or at least not
     * reported as held by someone else.
     */
    @Test
    void waitForLockFalse_withTheInterruptStatusSet_andTheLockFree_runsTheMethod() {
        runner().run(context -> {
            ProbeJobs jobs = context.getBean(ProbeJobs.class);
            String name = Stores.unique("free");
            Thread.currentThread().interrupt();
            Throwable thrown;
            try {
                thrown = catchThrowable(() -> jobs.once(name));
            } finally {
                assertThat(Thread.interrupted()).as("the interrupt status must be kept").isTrue();
            }
            assertThat(thrown).as("a @Locked(waitForLock = false) method with a FREE lock, called with the interrupt status set, threw")
                    .isNull();
            assertThat(jobs.runs()).isEqualTo(1);
        });
    }

    /** Same, with on-conflict=skip: the method is silently skipped and null returned although nobody holds the lock. */
    @Test
    void waitForLockFalse_onConflictSkip_withTheInterruptStatusSet_andTheLockFree_isNotSilentlySkipped() {
        runner().withPropertyValues("dlock.locked.on-conflict=skip").run(context -> {
            ProbeJobs jobs = context.getBean(ProbeJobs.class);
            String name = Stores.unique("free-skip");
            Thread.currentThread().interrupt();
            Object result;
            try {
                result = jobs.once(name);
            } finally {
                Thread.interrupted();
            }
            assertThat(result).as("the method was skipped as if its lock were held elsewhere; nobody held it").isEqualTo("ran");
        });
    }

    /**
     * CONTRACT QUESTION: a template whose SpEL part evaluates to null is accepted and the null
     * part dropped: order:#{#id} with id = null locks "order:", so every call with a missing id
     * shares one lock (and excludes calls about no order at all) instead of failing like a
     * wholly null name does ("evaluated to a blank name").
     */
    @Test
    void templateWithANullPart_failsTheCall_insteadOfLockingTheTruncatedName() {
        runner().run(context -> {
            ProbeJobs jobs = context.getBean(ProbeJobs.class);
            Throwable thrown = catchThrowable(() -> jobs.byId(null));
            assertThat(thrown).as("order:#{#id} with id = null ran under the lock named 'order:'")
                    .isInstanceOf(IllegalArgumentException.class);
        });
    }

    /** Holds: a huge but valid timeout string is accepted and a free lock taken at once. */
    @Test
    void hugeTimeoutString_isAccepted_andAFreeLockTakenAtOnce() {
        runner().run(context -> assertThat(context.getBean(ProbeJobs.class).hugeTimeout(Stores.unique("huge"))).isEqualTo("ran"));
    }

    /**
     * FINDING (validation): DlockHealthIndicator (and dlock.health.timeout) accept any positive
     * timeout, but health() computes timeout.toNanos(): a timeout over ~292 years (e.g.
     * dlock.health.timeout=300000d, meant as "wait forever") makes every health check throw
     * ArithmeticException instead of reporting UP/DOWN; the constructor should refuse it
     * naming the timeout, or health() should cap it.
     */
    @Test
    void healthIndicator_withAHugeTimeout_reportsHealth_orIsRefusedUpFront() {
        try (LockProvider provider = LockProvider.open(Stores.file(dir))) {
            DlockHealthIndicator indicator;
            try {
                indicator = new DlockHealthIndicator(provider, Duration.ofDays(300_000));
            } catch (IllegalArgumentException refused) {
                assertThat(refused.getMessage()).contains("timeout");
                return;
            }
            Throwable thrown = catchThrowable(() -> {
                Health h = indicator.health();
                assertThat(h.getStatus()).isEqualTo(Status.UP);
            });
            assertThat(thrown).as("health() with a timeout of 300000 days").isNull();
        }
        DlockProperties.Health props = new DlockProperties().getHealth();
        assertThatThrownBy(() -> props.setTimeout(Duration.ofDays(300_000))).isInstanceOf(IllegalArgumentException.class);
    }

    /** Holds: a closed provider is DOWN, not an exception. */
    @Test
    void healthIndicator_ofAClosedProvider_isDown() {
        LockProvider provider = LockProvider.open(Stores.file(dir));
        provider.close();
        Health h = new DlockHealthIndicator(provider, Duration.ofSeconds(2)).health();
        assertThat(h.getStatus()).isEqualTo(Status.DOWN);
        assertThat(String.valueOf(h.getDetails().get("error"))).contains("closed");
    }

    /**
     * CONTRACT QUESTION: options set through environment variables, the usual way in containers
     * (DLOCK_OPTIONS_POOLSIZE=4), reach the provider as Spring Boot binds map keys from the
     * environment: lower case ("poolsize"), which no backend knows as poolSize, so the context
     * fails to start. dlock.options.* is documented with kebab-case keys turned into camelCase;
     * there is no environment-variable spelling that yields "poolSize".
     */
    @Test
    void optionFromAnEnvironmentVariable_reachesTheProvider() {
        String url = Stores.redis();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DlockAutoConfiguration.class))
                .withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
                        new org.springframework.core.env.SystemEnvironmentPropertySource("systemEnvironment",
                                java.util.Map.of("DLOCK_URL", url, "DLOCK_OPTIONS_POOLSIZE", "4"))))
                .run(context -> {
                    assertThat(context).as("DLOCK_OPTIONS_POOLSIZE=4 in the environment").hasNotFailed();
                    assertThat(context).hasSingleBean(LockProvider.class);
                });
    }
}
