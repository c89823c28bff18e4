package io.github.dlock.spring;

import io.github.dlock.LockHandle;
import io.github.dlock.LockProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A bean with @Locked methods of every kind the tests call. */
public class Jobs {
    /** An argument with a property, for SpEL. */
    public static final class Order {
        private final String id;

        public Order(String id) {
            this.id = id;
        }

        public String getId() {
            return id;
        }
    }

    private final LockProvider provider;
    private final AtomicInteger runs = new AtomicInteger();

    public Jobs(LockProvider provider) {
        this.provider = provider;
    }

    /** How often a locked method body ran (a method: fields of the proxy are not the bean's). */
    public int runs() {
        return runs.get();
    }

    /** Returns whether the lock {@code order:<id>} is held while the method runs (another attempt fails). */
    @Locked(name = "order:#{#order.id}", timeout = "5s")
    public boolean process(Order order) {
        runs.incrementAndGet();
        return CurrentLock.handle().isPresent() && provider.lock("order:" + order.getId()).tryAcquire().isEmpty();
    }

    /** A name made of a value that is not a String (formatted by its toString). */
    @Locked(name = "day:#{#day}", timeout = "5s")
    public boolean byDay(java.time.LocalDate day) {
        return provider.lock("day:" + day).tryAcquire().isEmpty();
    }

    @Locked(name = "#{#p0}-#{#p1 * 2}", timeout = "100ms")
    public String positional(String a, int b) {
        return CurrentLock.handle().map(h -> "held").orElse("not held");
    }

    @Locked(name = "#{#name}", waitForLock = false)
    public String once(String name) {
        runs.incrementAndGet();
        return "ran";
    }

    @Locked(name = "#{#name}", waitForLock = false)
    public Optional<String> onceOptional(String name) {
        runs.incrementAndGet();
        return Optional.of("ran");
    }

    @Locked(name = "#{#name}", waitForLock = false)
    public void onceVoid(String name) {
        runs.incrementAndGet();
    }

    @Locked(name = "#{#name}", timeout = "200ms")
    public String shortWait(String name) {
        runs.incrementAndGet();
        return "ran";
    }

    @Locked(name = "#{#name}")
    public void fails(String name) {
        runs.incrementAndGet();
        throw new IllegalStateException("boom from the method");
    }

    /** Deletes the lock directory's files, then returns once the handle reports the loss. */
    /** Closes the provider while holding its lock, as a context shutting down mid-call would. */
    @Locked(name = "#{#name}")
    public String providerClosedUnderIt(String name) {
        provider.close();
        return "finished";
    }

    @Locked(name = "#{#name}")
    public String loseIt(String name, Path lockDir) throws Exception {
        LockHandle handle = CurrentLock.handle().orElseThrow();
        try (Stream<Path> files = Files.list(lockDir)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.deleteIfExists(f);
        }
        handle.lost().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return "finished";
    }

    @Locked(name = "outer-#{#name}")
    public String nested(String name, Jobs proxy) {
        LockHandle outer = CurrentLock.handle().orElseThrow();
        String inner = proxy.innerOf(name, outer);
        return CurrentLock.handle().orElseThrow() == outer ? inner : "outer handle not restored";
    }

    @Locked(name = "inner-#{#name}")
    public String innerOf(String name, LockHandle outer) {
        return CurrentLock.handle().orElseThrow() != outer ? "inner handle" : "outer handle leaked in";
    }

    @Locked(name = "#{#missing}")
    public String unknownVariable(String name) {
        return "ran";
    }

    @Locked(name = " ")
    public String blankName() {
        return "ran";
    }

    @Locked(name = "#{#name.}")
    public String badTemplate(String name) {
        return "ran";
    }

    @Locked(name = "x", timeout = "10 parsecs")
    public String badDuration() {
        return "ran";
    }

    @Locked(name = "x", timeout = "-5s")
    public String negativeDuration() {
        return "ran";
    }

    @Locked(name = "x", timeout = "10")
    public String unitlessDuration() {
        return "ran";
    }

    @Locked(name = "x", timeout = "1s", waitForLock = false)
    public String timeoutWithoutWait() {
        return "ran";
    }

    @Locked(name = "x")
    public CompletableFuture<String> async() {
        return CompletableFuture.completedFuture("ran");
    }

    @Locked(name = "#{#name}", waitForLock = false)
    public int primitive(String name) {
        runs.incrementAndGet();
        return 1;
    }

    @Locked(name = "iso-#{#name}", timeout = "PT2S")
    public String isoTimeout(String name) {
        return "ran";
    }
}
