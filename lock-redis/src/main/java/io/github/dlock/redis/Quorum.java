package io.github.dlock.redis;

import io.github.dlock.LockBackendException;
import io.github.dlock.spi.ProviderRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The servers a provider locks on, and calls on all of them at once. One server is simply a
 * quorum of one (run inline, no threads); Redlock's N servers are called in parallel: the
 * first on the caller's thread, the others on pooled threads that grow with the number of
 * concurrent callers (a fixed pool of N would serialize concurrent callers' calls). Calls
 * are bounded by a timeout and not cut short by the caller's interrupt (its status is kept):
 * abandoning a half-finished quorum call would leave holds behind.
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
    private final long callTimeoutMillis;

    Quorum(List<RedisNode> nodes, Duration callTimeout) {
        this.nodes = List.copyOf(nodes);
        this.parallel = nodes.size() == 1 ? null : Executors.newCachedThreadPool(ProviderRuntime.daemonThreads("dlock-redlock"));
        this.callTimeoutMillis = callTimeout.toMillis();
    }

    int size() {
        return nodes.size();
    }

    /** More than half of the servers. */
    int majority() {
        return nodes.size() / 2 + 1;
    }

    /** Runs {@code call} on every server and returns all answers, failures included. */
    <R> List<Reply<R>> onAll(Function<RedisNode, R> call) {
        if (parallel == null) return List.of(run(nodes.get(0), call));
        List<Future<Reply<R>>> futures = new ArrayList<>(nodes.size() - 1);
        for (RedisNode node : nodes.subList(1, nodes.size())) futures.add(parallel.submit(() -> run(node, call)));
        List<Reply<R>> replies = new ArrayList<>(nodes.size());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(callTimeoutMillis);
        replies.add(run(nodes.get(0), call)); // bounded by the client's socket timeout
        boolean interrupted = false;
        for (int i = 0; i < futures.size(); i++) {
            RedisNode node = nodes.get(i + 1);
            while (true) {
                try {
                    replies.add(futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // finish the calls (bounded by the timeout); the caller's wait loop reacts
                } catch (TimeoutException e) {
                    futures.get(i).cancel(true);
                    replies.add(new Reply<>(node, null, new LockBackendException("Redis " + node + " did not answer in time")));
                    break;
                } catch (ExecutionException e) {
                    replies.add(new Reply<>(node, null, new LockBackendException("Redis " + node + " failed", e.getCause())));
                    break;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return replies;
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
        if (parallel != null) parallel.shutdownNow();
        nodes.forEach(RedisNode::close);
    }
}
