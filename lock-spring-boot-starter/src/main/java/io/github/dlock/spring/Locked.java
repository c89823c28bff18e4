package io.github.dlock.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method of a Spring bean while holding the distributed mutex {@code name}
 * of the application's {@link io.github.dlock.LockProvider} bean: the lock is acquired before
 * the method runs and released after it returned or threw, whatever happened.
 *
 * <pre>{@code
 * @Locked(name = "order:#{#order.id}", timeout = "10s")
 * public void process(Order order) { ... }
 * }</pre>
 *
 * <p>Guarantees and failures:
 * <ul>
 *   <li>If the lock is not acquired (within {@link #timeout()}, or at the single attempt of
 *       {@code waitForLock = false}), the method does not run: {@link io.github.dlock.LockTimeoutException}
 *       is thrown, or, with {@code dlock.locked.on-conflict=skip}, the call returns {@code null}
 *       ({@code Optional.empty()} for an {@code Optional} return type).</li>
 *   <li>If the lock was lost while the method ran, {@link io.github.dlock.LockLostException} is
 *       thrown instead of returning its result (the method did run; another holder may have
 *       overlapped it). An exception of the method itself propagates unchanged.</li>
 *   <li>Inside the method, {@link CurrentLock#handle()} gives the handle (its fencing token).</li>
 *   <li>The annotation's values are checked at the method's first call: a blank name, a bad or
 *       negative duration, a {@code timeout} with {@code waitForLock = false}, a method returning a
 *       {@code Future} or {@code CompletionStage}, or a primitive return type with
 *       {@code on-conflict=skip} fail that call (and every later one) with an
 *       {@link IllegalStateException} naming the method.</li>
 * </ul>
 *
 * <p>Applied by a Spring AOP proxy, so as for {@code @Transactional}: only calls through the
 * bean's proxy are locked (not calls from the bean to itself), and only on public or protected
 * non-final methods: the context fails to start if a bean has a {@code @Locked} method that is
 * private, final or static ({@link LockedMethodsCheck}), rather than run it unlocked. The lock is taken outside {@code @Transactional} (the transaction commits
 * before the lock is released). Locks are not re-entrant: a locked method calling, through a
 * proxy, another method locked with the same name waits for itself until its timeout.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Locked {

    /**
     * The lock's name: literal text, or a template with SpEL expressions in {@code #{...}}
     * that see the method's parameters by name ({@code #order}; the code must be compiled with
     * {@code -parameters}, as Spring Boot's Maven and Gradle plugins do) or by position
     * ({@code #p0}, {@code #a0}), the root object's {@code method}, {@code args} and
     * {@code target}, and beans ({@code @myBean}). It must evaluate to a non-blank name.
     *
     * @return the name or name template
     */
    String name();

    /**
     * How long to wait for the lock: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h},
     * {@code 1d}, {@code 0} (one attempt) or ISO-8601 ({@code PT10S}). Empty (the default)
     * means {@code dlock.locked.default-timeout} (30 seconds unless configured). Must be empty
     * when {@link #waitForLock()} is {@code false}.
     *
     * @return the timeout, or empty for the configured default
     */
    String timeout() default "";

    /**
     * Whether to wait for the lock. {@code false} makes exactly one attempt
     * ({@link io.github.dlock.DistributedLock#tryAcquire()}).
     *
     * @return whether to wait up to the timeout
     */
    boolean waitForLock() default true;
}
