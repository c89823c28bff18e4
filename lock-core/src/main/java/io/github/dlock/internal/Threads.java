package io.github.dlock.internal;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * The threads core starts for work that may wait or block: on JDK 21 and later a new virtual
 * thread per task (the JDK 21 methods are looked up once, when this class initialises, so the
 * library keeps its JDK 17 bytecode), else daemon platform threads of a cached pool.
 */
public final class Threads {
    private static final Method OF_VIRTUAL;
    private static final Method NAME;
    private static final Method FACTORY;
    private static final Method PER_TASK;

    static {
        Method[] m = new Method[4];
        try {
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            m[0] = Thread.class.getMethod("ofVirtual");
            m[1] = builder.getMethod("name", String.class, long.class);
            m[2] = builder.getMethod("factory");
            m[3] = Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            m = new Method[4]; // before JDK 21
        }
        OF_VIRTUAL = m[0];
        NAME = m[1];
        FACTORY = m[2];
        PER_TASK = m[3];
    }

    private Threads() {}

    /** Whether this JVM runs {@link #perTask} work on virtual threads (JDK 21+). */
    public static boolean virtual() {
        return PER_TASK != null;
    }

    /**
     * An executor that starts each task at once on a thread of its own named {@code prefix-N}:
     * a new virtual thread on JDK 21+, else a (reused, idle for at most 60 s) daemon platform
     * thread. It never queues, so a task that blocks delays no other.
     */
    public static ExecutorService perTask(String prefix) {
        if (virtual()) {
            try {
                Object builder = NAME.invoke(OF_VIRTUAL.invoke(null), prefix + "-", 1L);
                return (ExecutorService) PER_TASK.invoke(null, (ThreadFactory) FACTORY.invoke(builder));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot start virtual threads on this JVM", e);
            }
        }
        return Executors.newCachedThreadPool(ProviderRuntime.daemonThreads(prefix));
    }
}
