package io.github.dlock.spring;

import io.github.dlock.LockProvider;
import java.util.Map;
import org.aspectj.lang.annotation.Aspect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * dlock's auto-configuration: a {@link LockProvider} bean opened from {@code dlock.url} (plus
 * {@code dlock.options.*}) when that property is set and the application defines no
 * {@code LockProvider} of its own (closed with the context), and the {@link LockedAspect}
 * that applies {@link Locked} (to whichever {@code LockProvider} bean there is).
 */
@AutoConfiguration(after = AopAutoConfiguration.class)
@EnableConfigurationProperties(DlockProperties.class)
public class DlockAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(DlockAutoConfiguration.class);

    /** Created by Spring. */
    public DlockAutoConfiguration() {}

    /**
     * The provider for {@code dlock.url}; closed when the context closes.
     *
     * @param properties the {@code dlock.*} properties
     * @return the open provider
     * @throws IllegalArgumentException if the URL is blank or malformed, its scheme has no
     *     backend on the class path, or an option is malformed, unknown or given twice
     * @throws io.github.dlock.LockBackendException if the store cannot be reached or set up
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "dlock", name = "url")
    public LockProvider dlockLockProvider(DlockProperties properties) {
        String url = properties.getUrl();
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("dlock.url is blank; set it to the lock store's URL (file:///..., redis://..., postgresql://...) or remove it");
        }
        Map<String, String> options = properties.providerOptions();
        LockProvider provider = LockProvider.open(url.trim(), options);
        log.info("dlock: opened a {} for the {} store (options given in properties: {})",
                provider.getClass().getSimpleName(), url.substring(0, Math.max(0, url.indexOf(':'))), options.keySet());
        return provider;
    }

    /** Registers the {@link LockedAspect} when AspectJ's annotations are on the class path. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Aspect.class)
    static class LockedConfiguration {
        @Bean
        @ConditionalOnMissingBean
        static LockedAspect dlockLockedAspect(ObjectProvider<LockProvider> providers, DlockProperties properties, BeanFactory beanFactory) {
            return new LockedAspect(providers, properties, beanFactory);
        }

        /**
         * Fails the start when a {@link Locked} method could never be intercepted.
         *
         * @return the check
         */
        @Bean
        static LockedMethodsCheck dlockLockedMethodsCheck() {
            return new LockedMethodsCheck();
        }
    }
}
