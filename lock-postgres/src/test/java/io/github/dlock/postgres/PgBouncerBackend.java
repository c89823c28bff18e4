package io.github.dlock.postgres;

import io.github.dlock.LockProvider;
import io.github.dlock.testkit.ConformanceBackend;

/** PostgreSQL behind a real PgBouncer in transaction mode, with the provider's {@code transactionPooling=true}. */
final class PgBouncerBackend implements ConformanceBackend {
    static final PgBouncerBackend INSTANCE = new PgBouncerBackend();

    private PgBouncerBackend() {}

    static String url(String options) {
        String base = PgBouncer.transactionModeUrl();
        return base + (base.contains("?") ? "&" : "?") + "transactionPooling=true" + (options.isEmpty() ? "" : "&" + options);
    }

    @Override
    public LockProvider openProvider() {
        return LockProvider.open(providerUrl());
    }

    @Override
    public java.util.Set<String> outsideNamespace() throws java.sql.SQLException {
        return PostgresBackend.relations();
    }

    /** Terminates the server session holding the advisory lock; PgBouncer then drops the holder's server connection. */
    @Override
    public void breakLockExternally(String name, io.github.dlock.LockMode mode) throws java.sql.SQLException {
        PostgresBackend.terminateHolderOf(name, mode);
    }

    @Override
    public String providerUrl() {
        return url("keepAlive=1s&prefix=dlocktest");
    }
}
