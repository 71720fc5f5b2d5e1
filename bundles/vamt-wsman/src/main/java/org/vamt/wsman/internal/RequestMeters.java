package org.vamt.wsman.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.vamt.metrics.Metrics;

/**
 * WS-Management requests timed by class, action and status ({@value #NAME}: on Prometheus
 * {@code vamt_wsman_requests_seconds_count}, {@code _sum}, {@code _max} and {@code _bucket}). The Get hot path
 * costs one map lookup by the request's ResourceURI string and an array read: each class's successful timers
 * are resolved once per action; faults (rarer) look theirs up by subcode.
 */
final class RequestMeters {
    static final String NAME = "vamt.wsman.requests";
    /** Distinct ResourceURIs that get a class label of their own; more count as {@value #OTHER}. */
    static final int MAX_CLASSES = 512;
    static final String OTHER = "other";
    static final String OK = "ok";

    /** Action labels: the short WS-Management names, Invoke for any class method. */
    enum Action {
        IDENTIFY("Identify"), GET("Get"), PUT("Put"), CREATE("Create"), DELETE("Delete"), ENUMERATE("Enumerate"),
        PULL("Pull"), RELEASE("Release"), INVOKE("Invoke"), UNKNOWN("unknown");

        final String label;

        Action(String label) {
            this.label = label;
        }

        static Action of(WsmanRequest request) {
            if (request == null) {
                return UNKNOWN;
            }
            if (request.isIdentify()) {
                return IDENTIFY;
            }
            String action = request.action();
            if (action == null) {
                return UNKNOWN;
            }
            return switch (action) {
                case Ns.ACTION_GET -> GET;
                case Ns.ACTION_PUT -> PUT;
                case Ns.ACTION_CREATE -> CREATE;
                case Ns.ACTION_DELETE -> DELETE;
                case Ns.ACTION_ENUMERATE -> ENUMERATE;
                case Ns.ACTION_PULL -> PULL;
                case Ns.ACTION_RELEASE -> RELEASE;
                default -> INVOKE;
            };
        }
    }

    /** Records nothing: no metrics service. */
    static final RequestMeters OFF = new RequestMeters(null);

    private final Metrics metrics;
    private final ConcurrentMap<String, ClassMeters> byResourceUri = new ConcurrentHashMap<>();
    private final ClassMeters noClass;
    private final ClassMeters otherClass;

    RequestMeters(Metrics metrics) {
        this.metrics = metrics;
        this.noClass = new ClassMeters("");
        this.otherClass = new ClassMeters(OTHER);
    }

    Metrics metrics() {
        return metrics;
    }

    /** One request answered: {@code fault} null for a success. */
    void record(WsmanRequest request, WsmanFault fault, long startNanos) {
        if (metrics == null) {
            return;
        }
        long nanos = System.nanoTime() - startNanos;
        ClassMeters c = forClass(request == null ? null : request.resourceUri());
        Action action = Action.of(request);
        if (fault == null) {
            c.ok(action).record(nanos);
        } else {
            c.fault(action, fault.subcode() == null ? "fault" : fault.subcode()).record(nanos);
        }
    }

    private ClassMeters forClass(String resourceUri) {
        if (resourceUri == null) {
            return noClass;
        }
        ClassMeters c = byResourceUri.get(resourceUri);
        if (c != null) {
            return c;
        }
        if (byResourceUri.size() >= MAX_CLASSES) {
            return otherClass;
        }
        String label = ResourceUris.isAllClasses(resourceUri) ? "*"
                : ResourceUris.className(resourceUri).orElse(OTHER);
        return byResourceUri.computeIfAbsent(resourceUri, k -> new ClassMeters(label));
    }

    /** One class label's timers. */
    private final class ClassMeters {
        private final String label;
        private final AtomicReferenceArray<Metrics.Timer> ok = new AtomicReferenceArray<>(Action.values().length);
        private final ConcurrentMap<String, Metrics.Timer> faults = new ConcurrentHashMap<>();

        ClassMeters(String label) {
            this.label = label;
        }

        Metrics.Timer ok(Action action) {
            Metrics.Timer t = ok.get(action.ordinal());
            if (t == null) {
                t = timer(action, OK);
                ok.set(action.ordinal(), t);   // a race resolves the same registry meter twice: harmless
            }
            return t;
        }

        Metrics.Timer fault(Action action, String subcode) {
            return faults.computeIfAbsent(action.label + ' ' + subcode, k -> timer(action, subcode));
        }

        private Metrics.Timer timer(Action action, String status) {
            return metrics.timer(NAME, "WS-Management requests by class, action and status (ok or fault subcode)",
                    "class", label, "action", action.label, "status", status);
        }
    }
}
