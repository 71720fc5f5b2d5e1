package org.vamt.bench;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code clients} keep-alive connections sending the same envelope until {@code total} requests
 * are answered; every non-200 answer or I/O error counts as an error, by kind (the status, or the
 * exception's class and message), so that a run with errors says which.
 */
public final class LoadRun {
    /** What a run measured. */
    public record Result(int clients, long requests, long errors, double seconds, Latencies latencies,
            Map<String, Long> errorKinds) {
        public double throughput() {
            return requests / seconds;
        }

        @Override
        public String toString() {
            return String.format("clients %d, requests %d, errors %d%s, %.1f s, %.0f requests/s, %s", clients,
                    requests, errors, errorKinds.isEmpty() ? "" : " " + new TreeMap<>(errorKinds), seconds,
                    throughput(), latencies.summary());
        }
    }

    private LoadRun() {
    }

    public static Result run(String host, int port, String user, String password, byte[] body, long total, int clients)
            throws InterruptedException {
        AtomicLong remaining = new AtomicLong(total);
        AtomicLong errors = new AtomicLong();
        Map<String, Long> errorKinds = new ConcurrentHashMap<>();
        Latencies[] perClient = new Latencies[clients];
        Thread[] threads = new Thread[clients];
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            Latencies mine = perClient[i] = new Latencies();
            threads[i] = new Thread(() -> {
                try (WsmanConnection c = new WsmanConnection(host, port, user, password)) {
                    while (remaining.getAndDecrement() > 0) {
                        long t0 = System.nanoTime();
                        try {
                            int status = c.post(body).status();
                            if (status != 200) {
                                errors.incrementAndGet();
                                errorKinds.merge("HTTP " + status, 1L, Long::sum);
                            }
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            errorKinds.merge(e.getClass().getSimpleName() + ": " + e.getMessage(), 1L, Long::sum);
                        }
                        mine.add((System.nanoTime() - t0) / 1_000);
                    }
                }
            }, "load-" + i);
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Latencies all = new Latencies();
        for (Latencies l : perClient) {
            all.addAll(l);
        }
        return new Result(clients, all.count(), errors.get(), seconds, all, Map.copyOf(errorKinds));
    }
}
