package org.vamt.wsman.internal;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.xml.datatype.DatatypeFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.ProviderBundles;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.metrics.Metrics;
import org.vamt.wsman.eventing.EventSubscriptions;

/**
 * WS-Management, and nothing else: parses the envelope, dispatches to the CIMOM (which holds the
 * user to the realms the providers declare), writes the answer or the DSP0226 fault (status 400),
 * and records audited changes. Served at {@code /wsman} of every VM endpoint; the transport has
 * already authenticated the user. Identify is answered without credentials, as AMT does.
 */
@Component(service = EndpointPathHandler.class, property = EndpointPathHandler.PATH + "=" + WsmanService.PATH,
        configurationPid = WsmanService.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WsmanService.Config.class)
public class WsmanService implements EndpointPathHandler {
    static final String PATH = "/wsman";
    static final String PID = "org.vamt.wsman";
    private static final Logger LOG = LoggerFactory.getLogger(WsmanService.class);
    private static final String SOAP_TYPE = "application/soap+xml; charset=UTF-8";
    private static final long MAX_START_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    /**
     * Looking the factory up costs ~4 µs per request (a service-loader scan); its durations are
     * immutable and newDuration keeps no state, so one instance serves every thread.
     */
    private static final DatatypeFactory DURATIONS = durationFactory();

    @ObjectClassDefinition(name = "vAMT WS-Management", description = "WS-Management enumeration limits")
    public @interface Config {
        @AttributeDefinition(description = "Seconds an idle enumeration context is kept")
        long enumerationIdleSeconds() default 120;

        @AttributeDefinition(description = "Open enumeration contexts allowed per VM and user")
        int maxEnumerationsPerUser() default 64;
    }

    private final RequestParser parser = new RequestParser();
    private final EnumerationContexts enumerations;
    private final WsmanOperations operations;
    private final String amtVersion = VamtProduct.amtVersion();

    @Activate
    public WsmanService(@Reference CimObjectManager cimom, Config config) {
        this.enumerations = new EnumerationContexts(config.enumerationIdleSeconds() * 1000,
                config.maxEnumerationsPerUser());
        this.operations = new WsmanOperations(cimom, enumerations, new EventingOperations(() -> subscriptions));
    }

    /** The subscriptions service while one is there (vamt-eventing); without, WS-Eventing actions are unsupported. */
    private volatile EventSubscriptions subscriptions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindSubscriptions")
    void bindSubscriptions(EventSubscriptions service) {
        subscriptions = service;
    }

    void unbindSubscriptions(EventSubscriptions service) {
        if (subscriptions == service) {
            subscriptions = null;
        }
    }

    /** Open enumeration contexts survive a new configuration. */
    @Modified
    void modified(Config config) {
        enumerations.limits(config.enumerationIdleSeconds() * 1000, config.maxEnumerationsPerUser());
    }

    @Override
    public Optional<Reply> unauthenticated(Call call) {
        try {
            return parser.parse(call.body()).isIdentify() ? Optional.of(identify()) : Optional.empty();
        } catch (WsmanFault notEvenXml) {
            return Optional.empty();
        }
    }

    @Override
    public Reply busy() {
        return soap(503, EnvelopeWriter.fault(null, WsmanFault.endpointUnavailable(
                "Too many operations in progress; retry shortly.")));
    }

    @Override
    public Reply tooLarge(int maxBytes) {
        return soap(400, EnvelopeWriter.fault(null, WsmanFault.encodingLimit("The request is larger than "
                + maxBytes + " bytes.", "ServiceEnvelopeLimit")));
    }

    @Override
    public Reply handle(Call call) {
        long start = System.nanoTime();
        WsmanRequest request;
        try {
            request = parser.parse(call.body());
        } catch (WsmanFault f) {
            meters.record(null, f, start);
            return soap(400, EnvelopeWriter.fault(null, f));
        }
        if (request.isIdentify()) {
            meters.record(request, null, start);
            return identify();
        }
        if (!providersStarted()) {
            // the WS-Management path starts first (level 75), the providers after it: until they have, a
            // class would look unserved (DestinationUnreachable, or AccessDenied for a user with realms)
            WsmanFault starting = WsmanFault.endpointUnavailable("vAMT is starting; retry shortly.");
            meters.record(request, starting, start);
            return soap(503, EnvelopeWriter.fault(request, starting));
        }
        RequestContext ctx = call.context();
        Optional<AuditRules.Audit> audit = AuditRules.forRequest(request);
        try {
            Outcome outcome = run(call, ctx, request, audit);
            if (outcome.ran()) {
                audit.ifPresent(a -> call.audit(a.appId(), a.eventId(), a.extendedData()));
            } else {
                LOG.info("VM {}: {} by {} not executed: its critical audit record cannot be written",
                        ctx.machineName(), request.action(), ctx.user());
            }
            Reply reply = soap(200, outcome.answer());
            meters.record(request, null, start);
            return reply;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            WsmanFault shutdown = WsmanFault.endpointUnavailable("Shutting down.");
            meters.record(request, shutdown, start);
            return soap(503, EnvelopeWriter.fault(request, shutdown));
        } catch (WsmanFault f) {
            LOG.debug("VM {}: {} {} -> fault {}: {} ({})", ctx.machineName(), request.action(),
                    request.resourceUri(), f.subcode(), f.getMessage(), f.detail());
            meters.record(request, f, start);
            return soap(400, EnvelopeWriter.fault(request, f));
        } catch (RuntimeException e) {
            LOG.error("VM {}: {} {} failed", ctx.machineName(), request.action(), request.resourceUri(), e);
            WsmanFault internal = WsmanFault.internalError("Internal error.");
            meters.record(request, internal, start);
            return soap(400, EnvelopeWriter.fault(request, internal));
        }
    }

    /** Request metrics while a metrics service is there ({@code vamt-metrics}); WS-Management works without. */
    private volatile RequestMeters meters = RequestMeters.OFF;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindMetrics")
    void bindMetrics(Metrics metrics) {
        meters = new RequestMeters(metrics);
    }

    void unbindMetrics(Metrics metrics) {
        if (meters.metrics() == metrics) {
            meters = RequestMeters.OFF;
        }
    }

    /** Set once every CIM provider bundle that is to run has started. */
    private volatile boolean started;
    private final long activatedAt = System.nanoTime();

    /**
     * Whether every provider bundle that is to run has started ({@link ProviderBundles}), and so has registered its
     * providers. A provider bundle that cannot start holds requests back at most {@link #MAX_START_WAIT_NANOS}, then
     * it is named in the log and requests go on. True outside OSGi.
     */
    private boolean providersStarted() {
        if (started) {
            return true;
        }
        Bundle own = FrameworkUtil.getBundle(WsmanService.class);
        BundleContext context = own == null ? null : own.getBundleContext();
        if (context == null) {
            started = true;
            return true;
        }
        java.util.List<String> waiting = ProviderBundles.notActive(context);
        if (waiting.isEmpty()) {
            started = true;
        } else if (System.nanoTime() - activatedAt > MAX_START_WAIT_NANOS) {
            LOG.warn("Provider bundles {} have not started {} s after WS-Management did; answering requests anyway "
                    + "(their classes fault as unserved)", waiting, MAX_START_WAIT_NANOS / 1_000_000_000L);
            started = true;
        }
        return started;
    }

    /** The answer, and whether the operation ran (false: refused, as critical and not recordable). */
    private record Outcome(String answer, boolean ran) {
    }

    /**
     * Runs the operation within its OperationTimeout (capped by the transport's maximum): a client
     * gets wsman:TimedOut instead of waiting on a hung hypervisor. An operation AMT audits is first
     * checked against the VM's audit policy: if its event is critical and its record cannot be
     * written now, it is not run (AMT's PT_STATUS_AUDIT_FAIL).
     */
    private Outcome run(Call call, RequestContext ctx, WsmanRequest request, Optional<AuditRules.Audit> audit)
            throws WsmanFault, InterruptedException {
        long timeout = timeoutMillis(request.operationTimeout(), call.maxOperationMillis());
        try {
            return call.bounded(() -> {
                if (audit.isPresent() && audit.get().mayBeRefused()
                        && !call.auditAllows(audit.get().appId(), audit.get().eventId())) {
                    return new Outcome(WsmanOperations.auditFailed(request), false);
                }
                return new Outcome(operations.handle(ctx, request), true);
            }, timeout);
        } catch (TimeoutException e) {
            throw WsmanFault.timedOut("The operation did not finish within " + timeout + " ms.");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WsmanFault wf) {
                throw wf;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** An OperationTimeout text and its milliseconds. */
    private record ParsedTimeout(String text, long millis) {
    }

    /**
     * The last valid OperationTimeout: a client sends the same one with every request, and parsing an
     * xs:duration (DatatypeFactory, BigDecimal, a Calendar) was ~6 % of a Get's CPU.
     */
    private static volatile ParsedTimeout lastTimeout = new ParsedTimeout("", 0);

    private static long timeoutMillis(String operationTimeout, long max) throws WsmanFault {
        if (operationTimeout == null || operationTimeout.isBlank()) {
            return max;
        }
        String text = operationTimeout.trim();
        ParsedTimeout last = lastTimeout;
        if (last.text().equals(text)) {
            return Math.min(last.millis(), max);
        }
        try {
            long ms = DURATIONS.newDuration(text).getTimeInMillis(new java.util.Date(0));
            if (ms <= 0) {
                throw WsmanFault.invalidHeader("OperationTimeout must be a positive duration.");
            }
            lastTimeout = new ParsedTimeout(text, ms);
            return Math.min(ms, max);
        } catch (IllegalArgumentException e) {
            throw WsmanFault.invalidHeader("OperationTimeout is not an xs:duration.");
        }
    }

    private Reply identify() {
        return soap(200, EnvelopeWriter.identify(amtVersion));
    }

    private static Reply soap(int status, String envelope) {
        return new Reply(status, SOAP_TYPE, envelope);
    }

    private static DatatypeFactory durationFactory() {
        try {
            return DatatypeFactory.newInstance();
        } catch (javax.xml.datatype.DatatypeConfigurationException e) {
            throw new IllegalStateException("the JDK has no XML datatype factory", e);
        }
    }
}
