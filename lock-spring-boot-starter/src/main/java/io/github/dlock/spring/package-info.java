/**
 * Spring Boot 3 support for dlock: auto-configuration of a {@link io.github.dlock.LockProvider}
 * from {@code dlock.url}, a health indicator, and {@link io.github.dlock.spring.Locked} methods.
 */
package io.github.dlock.spring;
