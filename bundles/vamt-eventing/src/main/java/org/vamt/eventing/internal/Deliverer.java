package org.vamt.eventing.internal;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.security.digest.DigestSession;

/**
 * Pushes event envelopes to subscribers: one bounded outbox per subscription, sent in order, one
 * request at a time, over the JDK's asynchronous HTTP client, so no thread waits on a subscriber.
 * A subscriber that fails is retried with exponential backoff (on a timer, holding nothing); after
 * the last attempt the event is dropped and the next one tried; a full outbox drops its oldest.
 * So a dead subscriber costs its own outbox and nothing else, and the caller (libvirt's event
 * thread) only ever appends to a queue.
 */
final class Deliverer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Deliverer.class);
    private static final String SOAP_XML = "application/soap+xml;charset=UTF-8";

    /** How deliveries go: outbox size, attempts per event, request timeout and backoff bounds. */
    record Settings(int queueCapacity, int attempts, Duration requestTimeout, Duration firstRetry, Duration maxRetry) {
        Settings {
            if (queueCapacity < 1 || attempts < 1) {
                throw new IllegalArgumentException("queue capacity and attempts must be positive");
            }
        }
    }

    /** Where one subscription's events go, and as whom (null session: no credentials). */
    record Target(URI uri, DigestSession digest) {
    }

    private final Settings settings;
    private final ExecutorService callbacks;
    private final ScheduledExecutorService timer;
    private final HttpClient http;
    private final ConcurrentHashMap<String, Outbox> outboxes = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();

    Deliverer(Settings settings) {
        this.settings = settings;
        this.callbacks = Executors.newFixedThreadPool(2, daemon("vamt-eventing-push"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("vamt-eventing-retry"));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(callbacks)
                .connectTimeout(settings.requestTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Queues {@code envelope} for subscription {@code key}; never blocks. */
    void send(String key, Target target, String envelope) {
        Outbox box = outboxes.computeIfAbsent(key, k -> new Outbox(target));
        synchronized (box) {
            if (box.queue.size() == settings.queueCapacity()) {
                box.queue.pollFirst();
                dropped.incrementAndGet();
            }
            box.queue.addLast(envelope);
            if (box.busy) {
                return;
            }
            box.busy = true;
        }
        try {
            callbacks.execute(() -> next(box));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            synchronized (box) {
                box.busy = false;   // stopping: nothing more is sent
            }
        }
    }

    /** Forgets a subscription's outbox (unsubscribed, expired, VM gone): what it still held is not sent. */
    void forget(String key) {
        Outbox box = outboxes.remove(key);
        if (box != null) {
            synchronized (box) {
                box.closed = true;
                box.queue.clear();
            }
        }
    }

    long delivered() {
        return delivered.get();
    }

    long dropped() {
        return dropped.get();
    }

    long failedAttempts() {
        return failedAttempts.get();
    }

    private void next(Outbox box) {
        String envelope;
        synchronized (box) {
            envelope = box.closed ? null : box.queue.peekFirst();
            if (envelope == null) {
                box.busy = false;
                return;
            }
        }
        CompletableFuture<Integer> sent;
        try {
            sent = post(box, envelope, false);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenCompleteAsync((status, error) -> settled(box, envelope, status, error), callbacks);
    }

    private void settled(Outbox box, String envelope, Integer status, Throwable error) {
        boolean ok = error == null && status != null && status / 100 == 2;
        if (ok) {
            delivered.incrementAndGet();
            synchronized (box) {
                if (box.queue.peekFirst() == envelope) {
                    box.queue.pollFirst();
                }
                box.failures = 0;
            }
            next(box);
            return;
        }
        failedAttempts.incrementAndGet();
        int failures;
        synchronized (box) {
            failures = ++box.failures;
            if (failures >= settings.attempts()) {
                if (box.queue.peekFirst() == envelope) {
                    box.queue.pollFirst();
                    dropped.incrementAndGet();
                }
                box.failures = 0;
            }
        }
        if (failures == 1 || failures >= settings.attempts()) {
            LOG.info("Event push to {} failed ({}){}", safe(box.target.uri()),
                    error != null ? error.getClass().getSimpleName() : "HTTP " + status,
                    failures >= settings.attempts() ? "; event dropped after " + failures + " attempts" : "; retrying");
        }
        if (failures >= settings.attempts()) {
            next(box);
            return;
        }
        long delay = Math.min(settings.maxRetry().toMillis(), settings.firstRetry().toMillis() << Math.min(failures - 1, 20));
        try {
            timer.schedule(() -> next(box), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            synchronized (box) {
                box.busy = false;
            }
        }
    }

    /** POSTs once; on a Digest challenge (or a stale nonce) once more with credentials. */
    private CompletableFuture<Integer> post(Outbox box, String envelope, boolean retried) {
        URI uri = box.target.uri();
        DigestSession digest = box.target.digest();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(settings.requestTimeout())
                .header("Content-Type", SOAP_XML)
                .POST(HttpRequest.BodyPublishers.ofString(envelope, StandardCharsets.UTF_8));
        boolean withCredentials = digest != null && digest.hasNonce();
        if (withCredentials) {
            request.header("Authorization", digest.authorization("POST", path(uri)));
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).thenCompose(response -> {
            if (response.statusCode() == 401 && digest != null && !retried) {
                String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
                if (digest.retryAfter(challenge, withCredentials)) {
                    return post(box, envelope, true);
                }
            }
            return CompletableFuture.completedFuture(response.statusCode());
        });
    }

    private static String path(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    /** The address without any user information, for logs. */
    static String safe(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + path(uri);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        callbacks.shutdownNow();
        outboxes.clear();
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final class Outbox {
        final Target target;
        final ArrayDeque<String> queue = new ArrayDeque<>();
        boolean busy;
        boolean closed;
        int failures;

        Outbox(Target target) {
            this.target = target;
        }
    }
}
