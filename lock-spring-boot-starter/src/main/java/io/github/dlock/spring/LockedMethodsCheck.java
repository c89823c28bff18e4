package io.github.dlock.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Fails the start of the context when a bean has a {@link Locked} method that no Spring AOP
 * proxy can intercept ({@code private}, {@code final} or {@code static}): such a method would
 * run without its lock, silently. Checked once per bean class, as each bean is initialised.
 * Calls from the bean to its own methods ({@code this.locked()}) bypass the proxy too; that
 * cannot be seen here, see {@link Locked}.
 */
public class LockedMethodsCheck implements BeanPostProcessor {
    private final Map<Class<?>, Boolean> checked = new ConcurrentHashMap<>();

    /**
     * Checks the bean's class.
     *
     * @param bean the initialised bean (possibly a proxy already)
     * @param beanName its name
     * @return {@code bean}
     * @throws BeanInitializationException if a {@link Locked} method of its class can never be
     *     intercepted
     */
    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = AopUtils.getTargetClass(bean);
        if (AnnotationUtils.isCandidateClass(type, Locked.class)) checked.computeIfAbsent(type, t -> check(t, beanName));
        return bean;
    }

    private static Boolean check(Class<?> type, String beanName) {
        ReflectionUtils.doWithMethods(type, method -> {
            int m = method.getModifiers();
            String why = Modifier.isPrivate(m) ? "private" : Modifier.isStatic(m) ? "static" : Modifier.isFinal(m) ? "final" : null;
            if (why != null) {
                throw new BeanInitializationException("@Locked on " + describe(method) + " (bean '" + beanName + "') would never be applied: "
                        + "Spring AOP proxies cannot intercept " + why + " methods, so it would run without its lock. "
                        + "Make it public (or protected) and neither final nor static.");
            }
        }, method -> !method.isBridge() && AnnotatedElementUtils.hasAnnotation(method, Locked.class));
        return Boolean.TRUE;
    }

    private static String describe(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName() + "()";
    }
}
