package io.github.dlock.postgres;

import io.github.dlock.spi.Deadline;

/**
 * How advisory locks are held on connections: {@link SessionLocking} (session locks, many on
 * one pinned connection) or {@link TransactionLocking} (one open transaction per lock, for
 * poolers in transaction mode such as PgBouncer). Both hand every connection back through
 * {@link PostgresSession#end()}.
 */
interface AdvisoryLocking extends AutoCloseable {

    /**
     * One non-blocking attempt at any of the acquirer's candidates; null if none was free. A
     * connection it must borrow is borrowed within {@code deadline} (a try: the provider's
     * timeout).
     */
    PostgresHeldLock tryOnce(PostgresAcquirer acquirer, Deadline deadline) throws InterruptedException;

    /**
     * Waits in the server for {@code lock} until granted or the deadline; null on timeout. The
     * caller holds a slot of {@link WaitingSessions}.
     */
    PostgresHeldLock waitInServer(PostgresAcquirer acquirer, Advisory lock, Deadline deadline) throws InterruptedException;

    /** A held lock was released (or its release failed): give back what it pinned. */
    void released(PostgresSession session, PostgresHeldLock held);

    /** Keep-alive: probes connections that hold locks; dead ones report their locks lost. */
    void probe();

    /** Ends every session; the server frees whatever they held. */
    @Override
    void close();
}
