package io.github.dlock.spring;

import io.github.dlock.DistributedLock;
import io.github.dlock.LockException;
import io.github.dlock.LockHandle;
import io.github.dlock.LockLostException;
import io.github.dlock.LockProvider;
import io.github.dlock.LockTimeoutException;
import io.github.dlock.internal.Holds;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.aspectj.lang.ProceedingJoinPoint;
import org.aspectj.lang.annotation.Around;
import org.aspectj.lang.annotation.Aspect;
import org.aspectj.lang.reflect.MethodSignature;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.Ordered;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.StandardReflectionParameterNameDiscoverer;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.ParserContext;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.expression.TypeConverter;
import org.springframework.expression.common.CompositeStringExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.StandardTypeConverter;

/**
 * Applies {@link Locked}: acquires the named mutex of the {@link LockProvider} bean, runs the
 * method, releases the lock whatever happened. See {@link Locked} for the guarantees.
 *
 * <p>Ordered just before {@link Ordered#LOWEST_PRECEDENCE}, so the lock surrounds advice of
 * default order such as {@code @Transactional}.
 */
@Aspect
public class LockedAspect implements Ordered {
    /** This aspect's order: the lock is taken outside advice of the default (lowest) precedence. */
    public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 100;

    private static final Pattern BARE_NUMBER = Pattern.compile("[+-]?\\d+");
    private static final ParameterNameDiscoverer PARAMETER_NAMES = new StandardReflectionParameterNameDiscoverer();
    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final TypeConverter TO_TEXT = new ToTextConverter();

    private final ObjectProvider<LockProvider> providers;
    private final DlockProperties properties;
    private final BeanFactory beanFactory;
    private final Map<Method, Plan> plans = new ConcurrentHashMap<>();

    /**
     * @param providers where the {@link LockProvider} comes from (looked up at the first call)
     * @param properties the {@code dlock.locked.*} defaults
     * @param beanFactory resolves {@code @bean} references in names; may be null
     * @throws NullPointerException if {@code providers} or {@code properties} is null
     */
    public LockedAspect(ObjectProvider<LockProvider> providers, DlockProperties properties, BeanFactory beanFactory) {
        this.providers = Objects.requireNonNull(providers, "providers");
        this.properties = Objects.requireNonNull(properties, "properties");
        this.beanFactory = beanFactory;
    }

    /** @return {@link #ORDER} */
    @Override
    public int getOrder() {
        return ORDER;
    }

    /**
     * Runs a {@link Locked} method under its lock.
     *
     * @param call the intercepted call
     * @param locked the method's annotation
     * @return the method's result; {@code null} or {@code Optional.empty()} when skipped
     * @throws Throwable whatever the method threw, unchanged
     * @throws LockTimeoutException if the lock was not acquired and on-conflict is {@code fail}
     * @throws LockLostException if the lock was lost, or released by the provider's close(), while the method ran
     * @throws IllegalStateException if the annotation's values are invalid, or there is no
     *     {@link LockProvider} bean
     * @throws IllegalArgumentException if the name evaluates to nothing usable for these arguments
     * @throws LockException if interrupted while waiting (the interrupt status is set again), or
     *     the store failed ({@link io.github.dlock.LockBackendException})
     */
    @Around(value = "@annotation(locked)", argNames = "call,locked")
    public Object around(ProceedingJoinPoint call, Locked locked) throws Throwable {
        Method method = ((MethodSignature) call.getSignature()).getMethod();
        Object target = call.getTarget();
        Method specific = target == null ? method : AopUtils.getMostSpecificMethod(method, target.getClass());
        Plan plan = plans.computeIfAbsent(specific, m -> Plan.of(m, locked, properties.getLocked()));
        Object[] args = call.getArgs();
        String name = plan.name(specific, args, target, beanFactory);

        LockProvider provider = providers.getIfAvailable();
        if (provider == null) {
            throw new IllegalStateException("@Locked on " + plan.where + " needs a LockProvider bean: set dlock.url or define one");
        }
        DistributedLock lock = provider.lock(name);
        Optional<LockHandle> acquired;
        try {
            acquired = plan.wait ? lock.tryAcquire(plan.timeout) : lock.tryAcquire();
        } catch (InterruptedException e) {
            for (Class<?> declared : specific.getExceptionTypes()) {
                if (declared.isAssignableFrom(InterruptedException.class)) throw e;
            }
            Thread.currentThread().interrupt();
            throw new LockException("interrupted while waiting for lock " + quote(name) + " of " + plan.where, e);
        }
        if (acquired.isEmpty()) {
            if (properties.getLocked().getOnConflict() == DlockProperties.OnConflict.SKIP) {
                return plan.returnsOptional ? Optional.empty() : null;
            }
            throw new LockTimeoutException("lock " + quote(name) + " of " + plan.where + " was not acquired "
                    + (plan.wait ? "within " + plan.timeout : "(waitForLock = false: one attempt)"));
        }
        LockHandle handle = acquired.get();
        LockHandle previous = CurrentLock.enter(handle);
        Object result;
        try {
            result = call.proceed();
        } catch (Throwable failure) {
            CurrentLock.restore(previous);
            Holds.releaseAfterFailure(handle, failure);
            throw failure;
        }
        CurrentLock.restore(previous);
        Holds.releaseAfterSuccess(handle, name, plan.where);
        return result;
    }

    private static String quote(String name) {
        return "'" + (name.length() > 200 ? name.substring(0, 200) + "...' (" + name.length() + " characters)" : name + "'");
    }

    /** A method's checked annotation: the parsed name, the wait. */
    private static final class Plan {
        final String where;
        final Expression name;
        final String nameSource;
        final boolean wait;
        final Duration timeout;
        final boolean returnsOptional;

        private Plan(String where, Expression name, String nameSource, boolean wait, Duration timeout, boolean returnsOptional) {
            this.where = where;
            this.name = name;
            this.nameSource = nameSource;
            this.wait = wait;
            this.timeout = timeout;
            this.returnsOptional = returnsOptional;
        }

        static Plan of(Method method, Locked locked, DlockProperties.LockedMethods defaults) {
            String where = method.getDeclaringClass().getName() + "." + method.getName()
                    + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
            String prefix = "@Locked on " + where + ": ";
            if (locked.name().isBlank()) throw new IllegalStateException(prefix + "name must not be blank");
            Expression expression;
            try {
                expression = PARSER.parseExpression(locked.name(), ParserContext.TEMPLATE_EXPRESSION);
            } catch (ParseException e) {
                throw new IllegalStateException(prefix + "name '" + locked.name() + "' is not a valid template: " + e.getMessage(), e);
            }
            Duration timeout = null;
            if (locked.waitForLock()) {
                timeout = locked.timeout().isBlank() ? defaults.getDefaultTimeout() : parseTimeout(locked.timeout(), prefix);
            } else if (!locked.timeout().isBlank()) {
                throw new IllegalStateException(prefix + "timeout '" + locked.timeout() + "' has no effect with waitForLock = false (one attempt); remove one of them");
            }
            Class<?> returns = method.getReturnType();
            if (Future.class.isAssignableFrom(returns) || CompletionStage.class.isAssignableFrom(returns)) {
                throw new IllegalStateException(prefix + "returns " + returns.getSimpleName()
                        + ": the lock would be released when the method returns, before the asynchronous work ends; lock inside that work instead");
            }
            if (defaults.getOnConflict() == DlockProperties.OnConflict.SKIP && returns.isPrimitive() && returns != void.class) {
                throw new IllegalStateException(prefix + "returns " + returns.getName()
                        + ", which cannot be skipped with dlock.locked.on-conflict=skip (no null for a primitive); return a wrapper, Optional or void");
            }
            return new Plan(where, expression, locked.name(), locked.waitForLock(), timeout, returns == Optional.class);
        }

        private static Duration parseTimeout(String text, String prefix) {
            String t = text.trim();
            if (BARE_NUMBER.matcher(t).matches() && !t.equals("0")) {
                throw new IllegalStateException(prefix + "timeout '" + text + "' has no unit; write e.g. " + t + "ms or " + t + "s");
            }
            Duration d;
            try {
                d = DurationStyle.detectAndParse(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(prefix + "timeout '" + text + "' is not a duration; use e.g. 250ms, 10s, 5m, 2h, 1d or ISO-8601 such as PT10S", e);
            }
            if (d.isNegative()) throw new IllegalStateException(prefix + "timeout '" + text + "' must not be negative");
            return d;
        }

        String name(Method method, Object[] args, Object target, BeanFactory beanFactory) {
            MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(new Root(method, args, target), method, args, PARAMETER_NAMES);
            if (beanFactory != null) context.setBeanResolver(new BeanFactoryResolver(beanFactory));
            context.setTypeConverter(TO_TEXT);
            String value;
            try {
                value = name instanceof CompositeStringExpression template ? joined(template, context) : name.getValue(context, String.class);
            } catch (EvaluationException e) {
                String hint = method.getParameterCount() > 0 && PARAMETER_NAMES.getParameterNames(method) == null
                        ? " (parameter names are not available: compile with -parameters, or use #p0, #p1...)" : "";
                throw new IllegalArgumentException("@Locked on " + where + ": cannot evaluate name '" + nameSource + "' for these arguments: "
                        + e.getMessage() + hint, e);
            }
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("@Locked on " + where + ": name '" + nameSource + "' evaluated to a blank name for these arguments");
            }
            return value;
        }

        /**
         * A template's parts joined, each required: SpEL would leave out a part that is null
         * ({@code order:#{#id}} with no id gives {@code order:}), and every such call would
         * share that one lock.
         */
        private String joined(CompositeStringExpression template, MethodBasedEvaluationContext context) {
            StringBuilder out = new StringBuilder();
            for (Expression part : template.getExpressions()) {
                String value = part.getValue(context, String.class);
                if (value == null) {
                    throw new IllegalArgumentException("@Locked on " + where + ": part #{" + part.getExpressionString() + "} of name '" + nameSource
                            + "' evaluated to null for these arguments (every such call would share one lock)");
                }
                out.append(value);
            }
            return out.toString();
        }
    }

    /**
     * SpEL's standard conversions, plus any value to text by {@link String#valueOf(Object)}: the
     * parts of a name template ({@code day:#{#day}} with a {@code LocalDate}) need no converter.
     */
    private static final class ToTextConverter implements TypeConverter {
        private final StandardTypeConverter standard = new StandardTypeConverter();

        @Override
        public boolean canConvert(TypeDescriptor sourceType, TypeDescriptor targetType) {
            return standard.canConvert(sourceType, targetType) || isText(targetType);
        }

        @Override
        public Object convertValue(Object value, TypeDescriptor sourceType, TypeDescriptor targetType) {
            if (value != null && isText(targetType) && !standard.canConvert(sourceType, targetType)) return String.valueOf(value);
            return standard.convertValue(value, sourceType, targetType);
        }

        private static boolean isText(TypeDescriptor type) {
            return type != null && type.getType() == String.class;
        }
    }

    /**
     * The root object of a {@link Locked#name()} expression.
     *
     * @param method the method called
     * @param args its arguments
     * @param target the bean it is called on
     */
    public record Root(Method method, Object[] args, Object target) {}
}
