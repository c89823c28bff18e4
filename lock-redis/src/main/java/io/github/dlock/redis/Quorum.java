package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.internal.ProviderRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The servers a provider locks on, and calls on all of them at once. One server is simply a
 * quorum of one (run inline on the caller's thread, no other threads). Redlock's N servers
 * are called in parallel on pooled threads that grow with the number of concurrent callers,
 * and a call returns as soon as the answers so far are {@link Gathered enough} for the
 * caller's decision (e.g. a majority granted), so a stalled minority costs nothing but
 * threads of the pool waiting out its socket timeout in the background. Answers that arrive
 * after the call returned are handed to the caller's late handler (e.g. a late grant of a
 * failed acquisition is given back). Calls are bounded by a timeout and not cut short by the
 * caller's interrupt (its status is kept): abandoning a half-finished quorum call would
 * leave holds behind.
 */
final class Quorum implements AutoCloseable {
    /** One server's answer: a value or the failure. */
    record Reply<R>(RedisNode node, R value, RuntimeException error) {
        boolean ok() {
            return error == null;
        }
    }

    private final List<RedisNode> nodes;
    private final ExecutorService parallel;
    private final long callTimeoutNanos;

    Quorum(List<RedisNode> nodes, Duration callTimeout) {
        this.nodes = List.copyOf(nodes);
        this.parallel = nodes.size() == 1 ? null : Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-redlock"));
        this.callTimeoutNanos = callTimeout.toNanos();
    }

    int size() {
        return nodes.size();
    }

    /** More than half of the servers. */
    int majority() {
        return nodes.size() / 2 + 1;
    }

    List<RedisNode> nodes() {
        return nodes;
    }

    /**
     * Runs {@code call} on every server until {@code okNeeded} servers answered without error
     * (else until all answered or the timeout passed, so a failure reports every server);
     * later answers are ignored.
     */
    <R> List<Reply<R>> onSome(int okNeeded, Function<RedisNode, R> call) {
        return onSome(nodes, okNeeded, call);
    }

    /** As {@link #onSome(int, Function)} on the given servers only. */
    <R> List<Reply<R>> onSome(List<RedisNode> servers, int okNeeded, Function<RedisNode, R> call) {
        return until(servers, call, okAtLeast(okNeeded)).settle(ignored -> {});
    }

    /** A predicate for {@link #until}: {@code okNeeded} answers without error. */
    static <R> Predicate<List<Reply<R>>> okAtLeast(int okNeeded) {
        return replies -> replies.stream().filter(Reply::ok).count() >= okNeeded;
    }

    /**
     * Runs {@code call} on {@code servers} and returns once the answers so far satisfy
     * {@code enough}, all answered, or the call timeout passed. The caller must then
     * {@link Gathered#settle settle} the result, saying what to do with answers still to come.
     * {@code enough} runs on the caller's thread.
     */
    <R> Gathered<R> until(List<RedisNode> servers, Function<RedisNode, R> call, Predicate<List<Reply<R>>> enough) {
        Gathered<R> gathered = new Gathered<>();
        if (parallel == null) {
            for (RedisNode node : servers) gathered.replies.add(run(node, call));
            return gathered;
        }
        for (RedisNode node : servers) {
            try {
                parallel.execute(() -> gathered.arrive(run(node, call)));
            } catch (RejectedExecutionException closing) {
                // close() is draining: a late give-back or the rest of a release still reaches the
                // server (the nodes close only after the drain); once they are closed, this fails fast
                gathered.arrive(run(node, call));
            }
        }
        long deadline = System.nanoTime() + callTimeoutNanos;
        boolean interrupted = false;
        while (gathered.replies.size() < servers.size() && !enough.test(gathered.replies)) {
            try {
                Reply<R> reply = gathered.arrived.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (reply == null) break; // timed out
                gathered.replies.add(reply);
            } catch (InterruptedException e) {
                interrupted = true; // finish the call (bounded by the timeout); the caller's wait loop reacts
            }
        }
        gathered.stopGathering();
        List<RedisNode> answered = gathered.replies.stream().map(Reply::node).toList();
        for (RedisNode node : servers) {
            if (!answered.contains(node)) {
                gathered.timedOut.add(new Reply<>(node, null, new LockBackendException("Redis " + node + " did not answer in time")));
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return gathered;
    }

    private static <R> Reply<R> run(RedisNode node, Function<RedisNode, R> call) {
        try {
            return new Reply<>(node, call.apply(node), null);
        } catch (RuntimeException e) {
            return new Reply<>(node, null, e);
        }
    }

    long roundTrips() {
        return nodes.stream().mapToLong(RedisNode::roundTrips).sum();
    }

    @Override
    public void close() {
        if (parallel != null) {
            parallel.shutdown(); // calls still running or queued (a give-back, the rest of a release) finish first, bounded
            try {
                if (!parallel.awaitTermination(2 * callTimeoutNanos + 1_000_000_000L, TimeUnit.NANOSECONDS)) parallel.shutdownNow();
            } catch (InterruptedException e) {
                parallel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        nodes.forEach(RedisNode::close);
    }

    /**
     * The answers of one quorum call: those gathered before it returned, and those still to
     * come, which go to the handler given to {@link #settle} (on the thread that received
     * them, or the settling thread for answers that came in between).
     */
    static final class Gathered<R> {
        private final List<Reply<R>> replies = new ArrayList<>();
        private final List<Reply<R>> timedOut = new ArrayList<>();
        private final BlockingQueue<Reply<R>> arrived = new LinkedBlockingQueue<>();
        private final ReentrantLock lock = new ReentrantLock();
        private final List<Reply<R>> lateUnhandled = new ArrayList<>(); // guarded by lock
        private boolean gathering = true; // guarded by lock
        private Consumer<Reply<R>> lateHandler; // guarded by lock

        /** The answers gathered in time. */
        List<Reply<R>> replies() {
            return replies;
        }

        /** The answers gathered in time, then a "did not answer in time" failure for each server still silent. */
        List<Reply<R>> repliesAndSilence() {
            List<Reply<R>> all = new ArrayList<>(replies);
            all.addAll(timedOut);
            return all;
        }

        /** Hands every answer still to come (or come since the call returned) to {@code late}; returns {@link #repliesAndSilence}. */
        List<Reply<R>> settle(Consumer<Reply<R>> late) {
            List<Reply<R>> pending;
            lock.lock();
            try {
                lateHandler = late;
                pending = new ArrayList<>(lateUnhandled);
                lateUnhandled.clear();
            } finally {
                lock.unlock();
            }
            pending.forEach(late);
            return repliesAndSilence();
        }

        private void arrive(Reply<R> reply) {
            Consumer<Reply<R>> handler;
            lock.lock();
            try {
                if (gathering) {
                    arrived.add(reply);
                    return;
                }
                handler = lateHandler;
                if (handler == null) {
                    lateUnhandled.add(reply);
                    return;
                }
            } finally {
                lock.unlock();
            }
            handler.accept(reply);
        }

        private void stopGathering() {
            lock.lock();
            try {
                gathering = false;
                arrived.drainTo(lateUnhandled);
            } finally {
                lock.unlock();
            }
        }
    }
}
