/**
 * dlock's API ({@code io.github.dlock}) and the service-provider interface backends implement
 * ({@code io.github.dlock.spi}). The runtime's plumbing ({@code io.github.dlock.internal}) is
 * exported only to dlock's own backend, CLI and Spring Boot modules: code on the module path cannot depend
 * on it. On the class path, where most applications run, the module declaration is ignored and
 * {@code internal} is public but not API: it may change in any release.
 */
module io.github.dlock {
    requires org.slf4j;

    exports io.github.dlock;
    exports io.github.dlock.spi;
    exports io.github.dlock.internal to io.github.dlock.file, io.github.dlock.redis, io.github.dlock.postgres, io.github.dlock.cli,
            io.github.dlock.spring;

    uses io.github.dlock.spi.LockProviderFactory;
}
