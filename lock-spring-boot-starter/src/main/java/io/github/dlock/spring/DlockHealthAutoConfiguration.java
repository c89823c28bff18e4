package io.github.dlock.spring;

import io.github.dlock.LockProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@code dlock} health contributor ({@link DlockHealthIndicator}), when the actuator is on
 * the class path, there is a {@link LockProvider} bean, and {@code management.health.dlock.enabled}
 * is not {@code false}.
 */
@AutoConfiguration(after = DlockAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(LockProvider.class)
@ConditionalOnProperty(prefix = "management.health.dlock", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(DlockProperties.class)
public class DlockHealthAutoConfiguration {

    /** Created by Spring. */
    public DlockHealthAutoConfiguration() {}

    /**
     * The indicator, shown as {@code dlock} by the health endpoint.
     *
     * @param provider the provider to probe
     * @param properties {@code dlock.health.timeout}, and the URL and options whose passwords
     *     are masked in errors
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean(name = "dlockHealthIndicator")
    public DlockHealthIndicator dlockHealthIndicator(LockProvider provider, DlockProperties properties) {
        return new DlockHealthIndicator(provider, properties.getHealth().getTimeout(),
                Redaction.of(properties.getUrl(), properties.getOptions()));
    }
}
