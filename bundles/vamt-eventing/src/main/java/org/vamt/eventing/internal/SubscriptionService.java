package org.vamt.eventing.internal;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditObserver;
import org.vamt.security.RealmCheck;
import org.vamt.security.digest.DigestSession;
import org.vamt.wsman.eventing.EventSubscriptions;
import org.vamt.wsman.eventing.EventingException;
import org.vamt.wsman.eventing.EventingException.Reason;
import org.vamt.wsman.eventing.SubscribeRequest;
import org.vamt.wsman.eventing.Subscription;

/**
 * Every VM's WS-Eventing subscriptions, as AMT keeps them: at most a configured number per VM, for
 * users holding the Event Manager realm, kept with the VM ({@link EventingState}, the subscriber's
 * password sealed) so they survive a restart, ending when they expire. Power transitions libvirt
 * reports and the audit records vAMT makes are pushed to every live subscription of the VM
 * ({@link Deliverer}).
 */
@Component(service = {EventSubscriptions.class, MachineListener.class, AuditObserver.class}, immediate = true,
        configurationPid = SubscriptionService.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SubscriptionService.Config.class)
public class SubscriptionService implements EventSubscriptions, MachineListener, AuditObserver, AutoCloseable {
    static final String PID = "org.vamt.eventing";
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionService.class);
    /** The resource URIs a Subscribe may name: AMT's events are offered on all of these. */
    private static final Set<String> SUBSCRIBABLE = Set.of(
            "http://schemas.dmtf.org/wbem/wscim/1/*",
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/cim_indicationfilter",
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/cim_filtercollection",
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/cim_alertindication",
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/cim_indicationsubscription");

    @ObjectClassDefinition(name = "vAMT WS-Eventing", description = "AMT alerts pushed to WS-Eventing subscribers")
    public @interface Config {
        @AttributeDefinition(description = "Subscriptions a VM takes (AMT takes a small fixed number)")
        int maxSubscriptionsPerVm() default 16;

        @AttributeDefinition(description = "Events held per subscriber while it does not answer; the oldest go first")
        int queuedEventsPerSubscriber() default 64;

        @AttributeDefinition(description = "Attempts to push one event before it is dropped")
        int deliveryAttempts() default 6;

        @AttributeDefinition(description = "Milliseconds a push may take (connect and answer)")
        long deliveryTimeoutMillis() default 5000;

        @AttributeDefinition(description = "Milliseconds before the first retry; each next one waits twice as long")
        long firstRetryMillis() default 250;

        @AttributeDefinition(description = "Longest wait between retries, in milliseconds")
        long maxRetryMillis() default 30000;
    }

    private final Hypervisor hypervisor;
    private final StateStore<EventingState> store;
    private final RealmCheck realms;
    private final SubscriberSeal seal;
    private final Clock clock;
    private final int maxPerVm;
    private final Deliverer deliverer;
    /** A VM's subscriptions as last read. */
    private record Live(List<StoredSubscription> subscriptions) {
    }

    /** The subscriptions of each VM, as last read: events are matched here, never against libvirt. */
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    /** One lock per VM for {@link #reload}. */
    private final Map<String, Object> reloading = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vamt-eventing-housekeeping");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public SubscriptionService(@Reference Hypervisor hypervisor, @Reference RealmCheck realms, Config config) {
        this(hypervisor, realms, config, SubscriberSeal.inKarafEtc(), Clock.systemUTC());
        housekeeping.execute(this::loadAllOrRetry);
    }

    /** At activation the hypervisor may not be connected yet: tries again every 2 s until the VMs are listed. */
    private void loadAllOrRetry() {
        boolean loaded;
        try {
            loaded = loadAll();
        } catch (RuntimeException e) {
            LOG.warn("Event subscriptions not loaded; trying again in 2 s", e);
            loaded = false;
        }
        if (!loaded && !closed) {
            housekeeping.schedule(this::loadAllOrRetry, 2, TimeUnit.SECONDS);
        }
    }

    SubscriptionService(Hypervisor hypervisor, RealmCheck realms, Config config, SubscriberSeal seal, Clock clock) {
        this.hypervisor = hypervisor;
        this.store = new StateStore<>(hypervisor, EventingState.STATE);
        this.realms = realms;
        this.seal = seal;
        this.clock = clock;
        this.maxPerVm = config.maxSubscriptionsPerVm();
        this.deliverer = new Deliverer(new Deliverer.Settings(config.queuedEventsPerSubscriber(),
                config.deliveryAttempts(), Duration.ofMillis(config.deliveryTimeoutMillis()),
                Duration.ofMillis(config.firstRetryMillis()), Duration.ofMillis(config.maxRetryMillis())));
        housekeeping.scheduleWithFixedDelay(this::dropExpired, 30, 30, TimeUnit.SECONDS);
    }

    @Deactivate
    @Override
    public void close() {
        closed = true;
        housekeeping.shutdownNow();
        deliverer.close();
    }

    Deliverer deliverer() {
        return deliverer;
    }

    /**
     * Reads every VM's subscriptions (activation: a restart picks up what was subscribed before);
     * false when the VMs could not be listed.
     */
    boolean loadAll() {
        List<MachineId> machines;
        try {
            machines = hypervisor.listMachineIds();
        } catch (HypervisorException | RuntimeException e) {
            LOG.info("Cannot list the VMs to load their event subscriptions yet: {}", e.getMessage());
            return false;
        }
        int count = 0;
        for (MachineId m : machines) {
            count += load(m.uuid());
        }
        LOG.info("Loaded {} event subscriptions of {} VMs", count, machines.size());
        return true;
    }

    /** Reads one VM's subscriptions that have not expired (the others go at the next sweep); how many. */
    int load(String uuid) {
        try {
            return reload(uuid);
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {}: cannot read its event subscriptions: {}", uuid, e.toString());
            return 0;
        }
    }

    /**
     * Reads the VM's subscriptions and keeps them for the events; the number of unexpired ones. Read and
     * kept under the VM's lock, so a read that raced a change (a load at a DEFINED event, a subscribe's
     * own read-back) can never put back an older list after a newer one.
     */
    private int reload(String uuid) throws HypervisorException {
        synchronized (reloading.computeIfAbsent(uuid, k -> new Object())) {
            List<StoredSubscription> subs = unexpired(store.get(uuid).subscriptions());
            Live before = subs.isEmpty() ? live.remove(uuid) : live.put(uuid, new Live(subs));
            if (before != null) {
                for (StoredSubscription gone : before.subscriptions()) {
                    if (subs.stream().noneMatch(s -> s.id().equals(gone.id()))) {
                        deliverer.forget(key(uuid, gone.id()));
                    }
                }
            }
            return subs.size();
        }
    }

    /** The VM is gone: its subscriptions go from memory (libvirt dropped what was kept with it). */
    private void forgetVm(String uuid) {
        Live gone = live.remove(uuid);
        if (gone != null) {
            gone.subscriptions().forEach(s -> deliverer.forget(key(uuid, s.id())));
        }
    }

    /** After a change was stored: reads it back with its generation, for the events to use. */
    private void refresh(RequestContext ctx) {
        try {
            reload(ctx.machineId());
        } catch (HypervisorException e) {
            LOG.warn("VM {}: stored its event subscriptions but cannot read them back: {}", ctx.machineName(),
                    e.getMessage());
        }
    }

    @Override
    public Subscription subscribe(RequestContext ctx, SubscribeRequest request) throws EventingException {
        requireEventManager(ctx);
        if (request.resourceUri() == null
                || !SUBSCRIBABLE.contains(request.resourceUri().trim().toLowerCase(Locale.ROOT))) {
            throw new EventingException(Reason.UNKNOWN_FILTER, "Events are not offered on " + request.resourceUri());
        }
        if (request.filterName() != null && !request.filterName().trim().equalsIgnoreCase(Indications.ALL_EVENTS)) {
            throw new EventingException(Reason.UNKNOWN_FILTER, "Filter " + request.filterName()
                    + " is not offered; " + Indications.ALL_EVENTS + " is.");
        }
        URI notifyTo = notifyTo(request.notifyTo());
        if ((request.user() == null) != (request.password() == null)
                || (request.user() != null && (request.user().isEmpty() || request.user().length() > 256
                || request.password().length() > 256))) {
            throw new EventingException(Reason.INVALID_PARAMETER, "The subscriber's credentials are not usable.");
        }
        String id = "uuid:" + UUID.randomUUID();
        String sealed;
        try {
            sealed = request.password() == null ? null : seal.seal(ctx.machineId(), id, request.password());
        } catch (IOException | GeneralSecurityException e) {
            LOG.error("VM {}: cannot seal a subscriber's password", ctx.machineName(), e);
            throw new EventingException(Reason.FAILED, "The subscription cannot be stored.");
        }
        Long expiresAt = request.expires() == null ? null : clock.millis() + request.expires().toMillis();
        StoredSubscription sub = new StoredSubscription(id, request.resourceUri().trim(),
                request.filterName() == null ? Indications.ALL_EVENTS : request.filterName().trim(), request.mode(),
                notifyTo.toString(), request.referenceParameters(), request.user(), sealed, expiresAt, ctx.user());
        change(ctx, state -> {
            List<StoredSubscription> kept = unexpired(state.subscriptions());
            if (kept.size() >= maxPerVm) {
                throw new EventingException(Reason.LIMIT_REACHED,
                        "The VM has " + kept.size() + " subscriptions, as many as it takes.");
            }
            kept.add(sub);
            return new EventingState(kept);
        });
        LOG.info("VM {}: {} subscribed {} to its events ({}, {})", ctx.machineName(), ctx.user(),
                Deliverer.safe(notifyTo), request.mode(), expiresAt == null ? "no expiry" : "expires " + sub.expires());
        refresh(ctx);
        return new Subscription(id, sub.expires());
    }

    @Override
    public Subscription renew(RequestContext ctx, String id, Duration expires) throws EventingException {
        requireEventManager(ctx);
        Long expiresAt = expires == null ? null : clock.millis() + expires.toMillis();
        change(ctx, state -> {
            List<StoredSubscription> kept = unexpired(state.subscriptions());
            int at = indexOf(kept, id);
            if (at < 0) {
                throw new EventingException(Reason.UNABLE_TO_RENEW, "No subscription " + id + " (it may have expired).");
            }
            kept.set(at, kept.get(at).expiringAt(expiresAt));
            return new EventingState(kept);
        });
        refresh(ctx);
        return new Subscription(id, expiresAt == null ? null : java.time.Instant.ofEpochMilli(expiresAt));
    }

    @Override
    public void unsubscribe(RequestContext ctx, String id) throws EventingException {
        requireEventManager(ctx);
        change(ctx, state -> {
            List<StoredSubscription> kept = unexpired(state.subscriptions());
            int at = indexOf(kept, id);
            if (at < 0) {
                throw new EventingException(Reason.UNKNOWN_SUBSCRIPTION, "No subscription " + id);
            }
            kept.remove(at);
            return new EventingState(kept);
        });
        LOG.info("VM {}: {} ended subscription {}", ctx.machineName(), ctx.user(), id);
        refresh(ctx);
    }

    @Override
    public Subscription status(RequestContext ctx, String id) throws EventingException {
        requireEventManager(ctx);
        List<StoredSubscription> subs;
        try {
            subs = unexpired(store.get(ctx.machineId()).subscriptions());
        } catch (HypervisorException e) {
            throw failed(ctx, e);
        }
        int at = indexOf(subs, id);
        if (at < 0) {
            throw new EventingException(Reason.UNKNOWN_SUBSCRIPTION, "No subscription " + id);
        }
        return new Subscription(id, subs.get(at).expires());
    }

    /** Pushes a power transition to the VM's live subscriptions; returns at once (libvirt's event thread). */
    @Override
    public void machineChanged(MachineEvent event) {
        if (closed) {
            return;
        }
        if (event.type() == MachineEvent.Type.UNDEFINED) {
            forgetVm(event.uuid());
            return;
        }
        if (event.type() == MachineEvent.Type.DEFINED) {
            // a VM that comes (or comes back) brings the subscriptions kept with it
            housekeeping.execute(() -> load(event.uuid()));
            return;
        }
        Optional<Alert> alert = Alert.of(event, clock.instant());
        if (alert.isPresent()) {
            publish(alert.get());
        }
    }

    /** Pushes an audit record vAMT made (who did what on the VM) to the VM's subscriptions; returns at once. */
    @Override
    public void recorded(AuditEvent event) {
        if (!closed) {
            publish(Alert.of(event, clock.instant()));
        }
    }

    /** Sends an alert of a VM to each of its subscriptions that has not expired. */
    void publish(Alert alert) {
        Live kept = live.get(alert.machineId());
        if (kept == null) {
            return;
        }
        long now = clock.millis();
        for (StoredSubscription s : kept.subscriptions()) {
            if (s.expiredAt(now) || alert.realm() != 0 && (s.subscribedBy() == null
                    || !realms.permits(s.subscribedBy(), alert.machineId(), alert.realm()))) {
                continue;
            }
            Deliverer.Target target = target(alert.machineId(), s);
            if (target != null) {
                deliverer.send(key(alert.machineId(), s.id()), target, Indications.envelope(alert, s));
            }
        }
    }

    private Deliverer.Target target(String uuid, StoredSubscription s) {
        if (s.user() == null || s.sealedPassword() == null) {
            return new Deliverer.Target(URI.create(s.notifyTo()), null);
        }
        try {
            return new Deliverer.Target(URI.create(s.notifyTo()),
                    new DigestSession(s.user(), seal.open(uuid, s.id(), s.sealedPassword())));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("VM {}: subscription {}: the subscriber's password cannot be opened ({}); its events are not sent "
                    + "until it subscribes again", uuid, s.id(), e.getClass().getSimpleName());
            return null;
        }
    }

    /** Drops expired subscriptions from memory and from the VMs that keep them. */
    void dropExpired() {
        long now = clock.millis();
        for (Map.Entry<String, Live> vm : live.entrySet()) {
            if (vm.getValue().subscriptions().stream().anyMatch(s -> s.expiredAt(now))) {
                try {
                    store.update(vm.getKey(), state -> new EventingState(unexpired(state.subscriptions())));
                    reload(vm.getKey());
                } catch (HypervisorException e) {
                    LOG.debug("VM {}: expired subscriptions not dropped yet: {}", vm.getKey(), e.getMessage());
                }
            }
        }
    }

    private EventingState change(RequestContext ctx,
                                 org.vamt.hypervisor.state.StateChange<EventingState, EventingException> change)
            throws EventingException {
        try {
            return store.modify(ctx.machineId(), change);
        } catch (HypervisorException e) {
            throw failed(ctx, e);
        }
    }

    private static EventingException failed(RequestContext ctx, HypervisorException e) {
        LOG.warn("VM {}: event subscriptions not read or stored: {}", ctx.machineName(), e.getMessage());
        return new EventingException(Reason.FAILED, "The subscriptions cannot be read or stored now.", e);
    }

    private List<StoredSubscription> unexpired(List<StoredSubscription> subs) {
        long now = clock.millis();
        List<StoredSubscription> kept = new ArrayList<>(subs.size() + 1);
        for (StoredSubscription s : subs) {
            if (!s.expiredAt(now)) {
                kept.add(s);
            }
        }
        return kept;
    }

    private static int indexOf(List<StoredSubscription> subs, String id) {
        for (int i = 0; i < subs.size(); i++) {
            if (subs.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    private void requireEventManager(RequestContext ctx) throws EventingException {
        if (!ctx.operator() && !realms.permits(ctx.user(), ctx.machineId(), AmtRealm.EVENT_MANAGER)) {
            throw new EventingException(Reason.ACCESS_DENIED, ctx.user() + " does not hold the Event Manager realm.");
        }
    }

    private static URI notifyTo(String address) throws EventingException {
        try {
            URI uri = new URI(address);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getUserInfo() != null
                    || address.length() > 2048) {
                throw new EventingException(Reason.INVALID_PARAMETER,
                        "NotifyTo must be an http or https address without user information.");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new EventingException(Reason.INVALID_PARAMETER, "NotifyTo is not an address.");
        }
    }

    private static String key(String uuid, String id) {
        return uuid + " " + id;
    }
}
