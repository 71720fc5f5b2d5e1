package org.vamt.remote.internal;

import java.lang.reflect.Method;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.StateEntry;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.MachineState;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.NodeLink;
import org.vamt.remote.RemoteNodes;

/**
 * The gateway role: one {@link Hypervisor} made of every node it imports, so the CIMOM, the
 * providers and the WS-Man endpoints work unchanged. A VM is identified by its UUID and belongs to
 * exactly one node; names may repeat across nodes. Calls go to the VM's node.
 *
 * Nodes come as imported {@link NodeLink}s (CXF DOSGi provider-rs, mutual TLS); each is seen
 * through a {@link LinkedNode}.
 *
 * <p>Each node pushes its changes: the gateway keeps one held call open to it
 * ({@link NodeHypervisor#changes}), which the node answers the moment a VM changes (a libvirt lifecycle
 * event, or a call through the link from any gateway). The events go to the local
 * {@link MachineListener}s. While that journal is followed, the node's read answers are kept
 * ({@link ReadCache}) and a read that misses fetches, in the same round trip, every other read this
 * gateway has seen for that VM: a WS-Management request costs at most one call to the node, and
 * usually none. When the journal cannot be followed (link lost), nothing is kept and the node is read
 * every {@code pollMillis} until it can be followed again.
 *
 * <p>A node that stops answering or leaves discovery keeps its VMs known (they fault with UNAVAILABLE,
 * their endpoints stay); when it is back, they answer again at the same endpoints.
 */
@Component(service = {Hypervisor.class, RemoteNodes.class}, immediate = true, configurationPid = GatewayHypervisor.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GatewayHypervisor.Config.class)
public class GatewayHypervisor implements Hypervisor, RemoteNodes {
    static final String PID = "org.vamt.remote.gateway";
    private static final Logger LOG = LoggerFactory.getLogger(GatewayHypervisor.class);

    @ObjectClassDefinition(name = "vAMT gateway", description = "Serves the VMs of every vAMT node found in discovery")
    public @interface Config {
        @AttributeDefinition(description = "While a node's change journal cannot be followed (link lost, node "
                + "restarting): how often the gateway tries again and reads the node's VM list (ms)")
        long pollMillis() default 1000;

        @AttributeDefinition(description = "Longest a node's read answer is kept (ms) while its changes are followed: "
                + "how late a change made on the node behind vAMT's back and not announced by libvirt (e.g. virsh "
                + "setvcpus --live) shows. 0 = nothing kept, every read is a call to the node")
        long cacheMillis() default 10_000;
    }

    /** What the gateway knows about one node; kept after the node left, so its VMs stay known. */
    private static final class NodeState {
        final String id;
        volatile NodeHypervisor service;
        volatile String endpoint;
        volatile Instant lastContact;
        volatile boolean reachable;
        volatile String problem;
        volatile Map<String, MachineInfo> machines = Map.of();
        volatile boolean polling;
        /** A held call on the node's change journal is running (at most one per node). */
        volatile boolean following;
        /** The node's journal is being followed: events arrive, reads may be kept. */
        volatile boolean followed;
        /** The node answers {@code changes} UNSUPPORTED: polled only. */
        volatile boolean pushless;
        /** Where in the node's journal this gateway is. */
        volatile String epoch;
        volatile long next;
        /** The node's kept reads; null while its journal is not followed (or caching is off). */
        volatile ReadCache cache;

        NodeState(String id) {
            this.id = id;
        }
    }

    private final Map<String, NodeState> nodes = new ConcurrentHashMap<>();
    /** VM uuid (lower case) → id of the node that serves it. */
    private final Map<String, String> owners = new ConcurrentHashMap<>();
    /** Listener services by their DS handle (or, in tests, by themselves). */
    private final Map<Object, MachineListener> listeners = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vamt-gateway-poll"));
    private final ExecutorService pollers = Executors.newCachedThreadPool(r -> daemon(r, "vamt-gateway-node"));

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Only with the link's intent registered ({@code link}, this peer's certificate loaded): an import bound
     * before it would wait in CXF DOSGi for the intent and fail for good (Aries does not offer it again).
     */
    @Activate
    public GatewayHypervisor(Config config, @Reference MutualTlsIntent link) {
        this(config.pollMillis(), config.cacheMillis(), HOLD_MILLIS);
        // the link's TLS material, loaded once by the intent (its revocation list is re-read on change)
        // opening waits up to 15 s: a node on 2 busy cores (a TCG guest, other Karafs) can take seconds
        ConsoleLinkClient client = new ConsoleLinkClient(link.tls().sslContext(), 1000, CONSOLE_OPEN_MILLIS,
                NodeConsoleLink.HEARTBEAT_MILLIS);
        consoleLinks = () -> client;
        org.vamt.hypervisor.state.StateJson.warmUp();   // providers here write state; not late on the first event
    }

    private final long cacheMillis;
    private final long holdMillis;
    private volatile boolean stopped;
    /** Reads seen on this gateway, by cache key: fetched together when one of a VM's misses. */
    private final Map<String, LinkedNode.Invocation> learnedReads = new ConcurrentHashMap<>();
    private static final int MAX_LEARNED_READS = 32;
    /**
     * How long a node holds the call on its journal when nothing changes: the idle cost (one small call
     * per node every 2 s) against how soon a hung node is noticed (this plus callTimeoutMillis).
     */
    static final long HOLD_MILLIS = 2_000;
    /** Longest wait for a node to open a console stream (handshake, the VM's console or display). */
    static final int CONSOLE_OPEN_MILLIS = 15_000;
    private static final Set<String> KEPT_READS = Set.of("machine", "hardware", "definitionXml", "nextBootDevice",
            "readState");
    private static final Method MACHINE = method("machine", String.class);

    GatewayHypervisor(long pollMillis) {
        this(pollMillis, 10_000, 1000);
    }

    GatewayHypervisor(long pollMillis, long cacheMillis, long holdMillis) {
        long period = Math.max(100, pollMillis);
        this.cacheMillis = Math.max(0, cacheMillis);
        this.holdMillis = holdMillis;
        timer.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
        LOG.info("vAMT gateway: serving the VMs of every node in discovery (changes pushed by each node; read "
                + "answers kept up to {} ms; {} ms retries after a lost link)", this.cacheMillis, period);
    }

    private static Method method(String name, Class<?>... parameters) {
        try {
            return NodeHypervisor.class.getMethod(name, parameters);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        // each node takes the medium out when its door closes
        media.values().forEach(ConsoleLinkClient.MediaRelay::close);
        media.clear();
        timer.shutdownNow();
        pollers.shutdownNow();
    }

    // ------------------------------------------------------------------ nodes come and go

    /** The view of each imported link, to unbind the one that goes. */
    private final Map<NodeLink, NodeHypervisor> links = new ConcurrentHashMap<>();

    /**
     * Every node's link imported with the mutual-TLS intent: an announcement in discovery without it
     * (an endpoint that would be called in clear) is never bound.
     */
    @Reference(service = NodeLink.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindLink",
            target = "(&(service.imported=*)(service.intents=" + MutualTlsIntent.NAME + "))")
    void bindLink(NodeLink link, Map<String, Object> properties) {
        NodeHypervisor node = LinkedNode.of(link, String.valueOf(properties.get(NodeLink.NODE_ID)));
        links.put(link, node);
        bindNode(node, properties);
    }

    void unbindLink(NodeLink link, Map<String, Object> properties) {
        NodeHypervisor node = links.remove(link);
        if (node != null) {
            unbindNode(node, properties);
        }
    }

    void bindNode(NodeHypervisor node, Map<String, Object> properties) {
        String id = String.valueOf(properties.get(NodeHypervisor.NODE_ID));
        NodeState state = nodes.computeIfAbsent(id, NodeState::new);
        if (state.service != null && state.service != node) {
            LOG.warn("Two nodes announce the id '{}'; keeping {}, ignoring {}", id, state.endpoint,
                    properties.get("endpoint.id"));
            return;
        }
        state.service = node;
        state.endpoint = String.valueOf(properties.get("endpoint.id"));
        state.pushless = false;   // a new import may be a newer node
        LOG.info("vAMT node '{}' joined at {}", id, state.endpoint);
        follow(state);
    }

    void unbindNode(NodeHypervisor node, Map<String, Object> properties) {
        NodeState state = nodes.get(String.valueOf(properties.get(NodeHypervisor.NODE_ID)));
        if (state != null && state.service == node) {
            state.service = null;
            state.endpoint = null;
            state.reachable = false;
            unfollowed(state);
            LOG.warn("vAMT node '{}' left discovery; its {} VMs fault until it is back", state.id, state.machines.size());
        }
    }

    /**
     * Listener services are bound unresolved and fetched on first delivery, as LibvirtHypervisor
     * does: most listeners need this Hypervisor themselves, and resolving them while it activates is
     * a cycle that SCR refuses (and then never binds that listener).
     */
    @Reference(service = MachineListener.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindListener")
    void bindListener(ComponentServiceObjects<MachineListener> objects) {
        addListener(objects, new LazyListener(objects));
    }

    void unbindListener(ComponentServiceObjects<MachineListener> objects) {
        MachineListener l = listeners.remove(objects);
        if (l instanceof LazyListener lazy) {
            lazy.release();
        }
    }

    /** A listener service resolved on first use and released when it goes away. */
    private static final class LazyListener implements MachineListener {
        private final ComponentServiceObjects<MachineListener> objects;
        private MachineListener service;

        LazyListener(ComponentServiceObjects<MachineListener> objects) {
            this.objects = objects;
        }

        private synchronized MachineListener service() {
            if (service == null) {
                service = objects.getService();
            }
            return service;
        }

        synchronized void release() {
            if (service != null) {
                objects.ungetService(service);
                service = null;
            }
        }

        @Override
        public void machineChanged(MachineEvent event) {
            MachineListener l = service();
            if (l != null) {
                l.machineChanged(event);
            }
        }
    }

    void addListener(Object key, MachineListener listener) {
        listeners.put(key, listener);
        // a listener that came after a node's VMs were announced still learns about them
        List<MachineEvent> known = new ArrayList<>();
        for (NodeState n : nodes.values()) {
            n.machines.values().stream().filter(m -> n.id.equals(owners.get(key(m.uuid()))))
                    .forEach(m -> known.add(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.DEFINED)));
        }
        if (!known.isEmpty()) {
            pollers.execute(() -> known.forEach(e -> deliver(listener, e)));
        }
    }

    /** Every pollMillis: nodes whose journal is not followed are tried again; kept reads past their age go. */
    private void tick() {
        for (NodeState n : nodes.values()) {
            if (n.pushless) {
                schedulePoll(n);
            } else {
                follow(n);
            }
            ReadCache c = n.cache;
            if (c != null) {
                c.sweep();
            }
        }
    }

    /** Starts following the node's change journal, unless that already runs. */
    private void follow(NodeState state) {
        NodeHypervisor service = state.service;
        if (service == null || state.pushless) {
            schedulePoll(state);
            return;
        }
        synchronized (state) {
            if (state.following) {
                return;
            }
            state.following = true;
        }
        try {
            pollers.execute(() -> follow(state, service));
        } catch (RuntimeException stopping) {
            state.following = false;
        }
    }

    /**
     * Follows one node's journal with held calls until the link fails or the node goes: the node's VMs
     * are re-read first (and after any gap), then each change becomes an event here.
     */
    private void follow(NodeState state, NodeHypervisor service) {
        try {
            while (!stopped && state.service == service) {
                NodeHypervisor.Changes page = service.changes(state.epoch, state.next, holdMillis);
                state.lastContact = Instant.now();
                if (page.resync()) {
                    unfollowed(state);
                    if (!poll(state)) {
                        return;
                    }
                    state.epoch = page.epoch();
                    state.next = page.next();
                    state.cache = cacheMillis > 0 ? new ReadCache(cacheMillis) : null;
                    state.followed = true;
                    continue;
                }
                if (!state.reachable) {
                    LOG.info("vAMT node '{}' answers again", state.id);
                }
                state.reachable = true;
                state.problem = null;
                apply(state, page.changes());
                state.next = page.next();
            }
        } catch (HypervisorException e) {
            if (e.reason() == Reason.UNSUPPORTED) {
                LOG.info("vAMT node '{}' does not push its changes (an older node?): read every poll", state.id);
                state.pushless = true;
            } else {
                lost(state, e);
            }
        } catch (RuntimeException e) {
            lost(state, e);
        } finally {
            unfollowed(state);
            state.following = false;
        }
    }

    /** The journal is not followed any more: nothing the node answered is kept. */
    private static void unfollowed(NodeState state) {
        state.followed = false;
        state.cache = null;
    }

    private static void lost(NodeState state, Exception e) {
        if (state.reachable || state.problem == null) {
            LOG.warn("vAMT node '{}' does not answer: {}", state.id, e.getMessage());
        }
        state.reachable = false;
        state.problem = e.getMessage();
    }

    /** A page of the node's journal: kept reads of each VM go, lifecycle changes become events. */
    private void apply(NodeState state, List<NodeHypervisor.Change> changes) {
        List<MachineEvent> events = new ArrayList<>();
        boolean reread = false;
        ReadCache cache = state.cache;
        synchronized (this) {
            Map<String, MachineInfo> now = new LinkedHashMap<>(state.machines);
            for (NodeHypervisor.Change c : changes) {
                String uuid = key(c.uuid());
                if (cache != null) {
                    cache.forget(uuid);
                }
                if (c.type() == MachineEvent.Type.UNDEFINED) {
                    MachineInfo gone = now.remove(uuid);
                    if (gone != null) {
                        owners.remove(uuid, state.id);
                        events.add(new MachineEvent(gone.uuid(), gone.name(), MachineEvent.Type.UNDEFINED));
                    }
                    continue;
                }
                MachineInfo m = c.machine();
                if (m == null) {
                    reread |= c.type() != null;   // an event without the VM: read the node's list
                    continue;
                }
                String owner = owners.putIfAbsent(uuid, state.id);
                if (owner != null && !owner.equals(state.id)) {
                    state.problem = "VM " + m.name() + " (" + uuid + ") has the UUID of a VM on node " + owner
                            + "; only that one is served";
                    continue;
                }
                boolean isNew = now.put(uuid, m) == null;
                if (cache != null) {
                    cache.put(uuid, cache.version(uuid), ReadCache.key(MACHINE, new Object[] {uuid}), Optional.of(m));
                }
                if (isNew) {
                    events.add(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.DEFINED));
                }
                if (c.type() != null && !(isNew && c.type() == MachineEvent.Type.DEFINED)) {
                    events.add(new MachineEvent(m.uuid(), m.name(), c.type()));
                }
            }
            state.machines = now;
        }
        if (reread) {
            poll(state);
        }
        for (MachineEvent e : events) {
            listeners.values().forEach(l -> deliver(l, e));
        }
    }

    private void schedulePoll(NodeState state) {
        if (state.service == null || state.polling) {
            return;
        }
        state.polling = true;
        try {
            pollers.execute(() -> {
                try {
                    poll(state);
                } finally {
                    state.polling = false;
                }
            });
        } catch (RuntimeException stopping) {
            state.polling = false;
        }
    }

    /** Reads one node's VMs and turns the differences into events; false when the node does not answer. */
    private boolean poll(NodeState state) {
        NodeHypervisor service = state.service;
        if (service == null) {
            return false;
        }
        List<MachineInfo> list;
        try {
            list = service.listMachines();
        } catch (HypervisorException | RuntimeException e) {
            lost(state, e);
            return false;
        }
        if (!state.reachable) {
            LOG.info("vAMT node '{}' answers: {} VMs", state.id, list.size());
        }
        state.reachable = true;
        state.lastContact = Instant.now();
        state.problem = null;
        List<MachineEvent> events = new ArrayList<>();
        synchronized (this) {
            Map<String, MachineInfo> before = state.machines;
            Map<String, MachineInfo> now = new LinkedHashMap<>();
            for (MachineInfo m : list) {
                String uuid = key(m.uuid());
                String owner = owners.putIfAbsent(uuid, state.id);
                if (owner != null && !owner.equals(state.id)) {
                    state.problem = "VM " + m.name() + " (" + uuid + ") has the UUID of a VM on node " + owner
                            + "; only that one is served";
                    continue;
                }
                now.put(uuid, m);
                MachineInfo old = before.get(uuid);
                if (old == null) {
                    events.add(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.DEFINED));
                } else if (old.state() != m.state()) {
                    events.add(new MachineEvent(m.uuid(), m.name(), transition(old.state(), m.state())));
                }
            }
            for (MachineInfo gone : before.values()) {
                if (!now.containsKey(key(gone.uuid()))) {
                    owners.remove(key(gone.uuid()), state.id);
                    events.add(new MachineEvent(gone.uuid(), gone.name(), MachineEvent.Type.UNDEFINED));
                }
            }
            state.machines = now;
        }
        for (MachineEvent e : events) {
            listeners.values().forEach(l -> deliver(l, e));
        }
        return true;
    }

    private static MachineEvent.Type transition(MachineState from, MachineState to) {
        return switch (to) {
            case RUNNING -> from == MachineState.PAUSED ? MachineEvent.Type.RESUMED : MachineEvent.Type.STARTED;
            case PAUSED -> MachineEvent.Type.SUSPENDED;
            case SHUT_OFF -> MachineEvent.Type.STOPPED;
            case CRASHED -> MachineEvent.Type.CRASHED;
            case SUSPENDED -> MachineEvent.Type.PM_SUSPENDED;
            default -> MachineEvent.Type.OTHER;
        };
    }

    private static void deliver(MachineListener l, MachineEvent e) {
        try {
            l.machineChanged(e);
        } catch (RuntimeException ex) {
            LOG.warn("A machine listener failed on {}: {}", e, ex.toString());
        }
    }

    private static String key(String uuid) {
        return uuid.toLowerCase(Locale.ROOT);
    }

    /**
     * Reachable while at least one node answers: a load balancer in front of several gateways, which
     * all see the same nodes, must not drop every gateway for one node that is down (vamt:node-list tells which).
     */
    @Override
    public Reachability reachability() {
        return nodes.values().stream().anyMatch(n -> n.service != null && n.reachable) ? Reachability.REACHABLE
                : Reachability.DISCONNECTED;
    }

    // ------------------------------------------------------------------ RemoteNodes

    @Override
    public List<Node> nodes() {
        return nodes.values().stream().sorted(Comparator.comparing(n -> n.id)).map(n -> new Node(n.id, n.endpoint,
                n.service == null ? Status.GONE : n.reachable ? Status.CONNECTED : Status.UNREACHABLE,
                n.lastContact, List.copyOf(n.machines.values()), n.problem, n.followed)).toList();
    }

    // ------------------------------------------------------------------ Hypervisor, routed by VM

    /** The state of the node serving this VM; NOT_FOUND when no node has it. */
    private NodeState ownerOf(String uuid) throws HypervisorException {
        if (uuid == null) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "no VM given");
        }
        String owner = owners.get(key(uuid));
        NodeState state = owner == null ? null : nodes.get(owner);
        if (state == null) {
            throw new HypervisorException(Reason.NOT_FOUND, "no node serves VM " + uuid);
        }
        return state;
    }

    @FunctionalInterface
    private interface Call<T> {
        T on(NodeHypervisor node) throws HypervisorException;
    }

    /** Runs a call on the VM's node: UNAVAILABLE at once when that node is not connected. */
    private <T> T call(String uuid, Call<T> call) throws HypervisorException {
        NodeState state = ownerOf(uuid);
        NodeHypervisor node = state.service;
        if (node == null) {
            throw new HypervisorException(Reason.UNAVAILABLE, "VM " + uuid + " is on node '" + state.id
                    + "', which is not connected" + (state.lastContact != null
                    ? " (last contact " + state.lastContact + ")" : ""));
        }
        try {
            T result = call.on(node);
            state.lastContact = Instant.now();
            return result;
        } catch (HypervisorException e) {
            if (e.reason() == Reason.UNAVAILABLE) {
                state.reachable = false;
                state.problem = e.getMessage();
                // a node that does not answer a call is not read from memory either, until the
                // journal is followed again from a fresh read of the node (epoch unknown: resync)
                unfollowed(state);
                state.epoch = null;
            }
            throw e;
        }
    }

    @Override
    public List<MachineInfo> listMachines() {
        List<MachineInfo> all = new ArrayList<>();
        for (NodeState n : nodes.values()) {
            if (n.service != null && n.reachable) {
                all.addAll(n.machines.values());
            }
        }
        return all;
    }

    /**
     * A read of the VM's node: kept answer while the node's journal is followed, otherwise one call
     * that also fetches every other read this gateway has seen for the VM (one round trip).
     */
    @SuppressWarnings("unchecked")
    private <T> T read(String uuid, Method method, Object... args) throws HypervisorException {
        NodeState state = ownerOf(uuid);
        ReadCache cache = state.cache;
        if (cache == null) {
            return (T) call(uuid, n -> LinkedNode.batch(n, List.of(new LinkedNode.Invocation(method, args)))).get(0).get();
        }
        String key = ReadCache.key(method, args);
        Object kept = cache.get(uuid, key);
        if (kept != ReadCache.MISS) {
            return (T) kept;
        }
        if (learnedReads.size() < MAX_LEARNED_READS) {
            Object[] template = args.clone();
            template[0] = null;
            learnedReads.putIfAbsent(key, new LinkedNode.Invocation(method, template));
        }
        long version = cache.version(uuid);
        List<String> keys = new ArrayList<>(List.of(key));
        List<LinkedNode.Invocation> batch = new ArrayList<>(List.of(new LinkedNode.Invocation(method, args)));
        for (Map.Entry<String, LinkedNode.Invocation> learned : learnedReads.entrySet()) {
            if (!learned.getKey().equals(key) && cache.get(uuid, learned.getKey()) == ReadCache.MISS) {
                Object[] a = learned.getValue().args().clone();
                a[0] = uuid;
                keys.add(learned.getKey());
                batch.add(new LinkedNode.Invocation(learned.getValue().method(), a));
            }
        }
        List<LinkedNode.Outcome> outcomes = call(uuid, n -> LinkedNode.batch(n, batch));
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i).ok()) {
                cache.put(uuid, version, keys.get(i), outcomes.get(i).value());
            }
        }
        return (T) outcomes.get(0).get();
    }

    /** A call that changes the VM: what was kept about it goes, before (no read races it) and after. */
    private <T> T change(String uuid, Call<T> call) throws HypervisorException {
        ReadCache cache = ownerOf(uuid).cache;
        if (cache != null) {
            cache.forget(uuid);
        }
        try {
            return call(uuid, call);
        } finally {
            if (cache != null) {
                cache.forget(uuid);
            }
        }
    }

    private static Method keptRead(String name, Class<?>... parameters) {
        Method m = method(name, parameters);
        if (!KEPT_READS.contains(name)) {
            throw new IllegalStateException(name + " is not a read the gateway keeps");
        }
        return m;
    }

    private static final Method HARDWARE = keptRead("hardware", String.class);
    private static final Method DEFINITION = keptRead("definitionXml", String.class);
    private static final Method NEXT_BOOT = keptRead("nextBootDevice", String.class);
    private static final Method READ_STATE = keptRead("readState", String.class, String.class, Set.class);

    @Override
    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        if (uuid == null || !owners.containsKey(key(uuid))) {
            return Optional.empty();
        }
        return read(uuid, MACHINE, uuid);
    }

    @Override
    public String definitionXml(String uuid) throws HypervisorException {
        return read(uuid, DEFINITION, uuid);
    }

    @Override
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return read(uuid, HARDWARE, uuid);
    }

    @Override
    public void powerOn(String uuid) throws HypervisorException {
        change(uuid, n -> { n.powerOn(uuid); return null; });
    }

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        change(uuid, n -> { n.powerOff(uuid); return null; });
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        change(uuid, n -> { n.shutdown(uuid); return null; });
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        change(uuid, n -> { n.reboot(uuid); return null; });
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        change(uuid, n -> { n.reset(uuid); return null; });
    }

    @Override
    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        change(uuid, n -> { n.setOnlineVcpus(uuid, count); return null; });
    }

    @Override
    public void injectNmi(String uuid) throws HypervisorException {
        change(uuid, n -> { n.injectNmi(uuid); return null; });
    }

    @Override
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        change(uuid, n -> { n.suspend(uuid, toDisk); return null; });
    }

    @Override
    public void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        change(uuid, n -> { n.setNextBootDevice(uuid, device); return null; });
    }

    @Override
    public Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        return read(uuid, NEXT_BOOT, uuid);
    }

    /** Read on the node that owns the machine (kept like the other reads). */
    @Override
    public StateEntry readState(String uuid, String namespace, java.util.Set<String> legacyKeys)
            throws HypervisorException {
        return read(uuid, READ_STATE, uuid, namespace, legacyKeys);
    }

    /**
     * Compared and written on the node that owns the machine, under its lock there: every gateway's
     * writes meet in one place, so a stale generation is refused (CONFLICT) whichever gateway sent it.
     * A read kept here that another gateway's write made stale can only lead to such a CONFLICT, and
     * the write drops it, so the retry reads the node.
     */
    @Override
    public long writeState(String uuid, String namespace, long expectedGeneration, String json,
                           java.util.Set<String> dropLegacyKeys) throws HypervisorException {
        return change(uuid, n -> n.writeState(uuid, namespace, expectedGeneration, json, dropLegacyKeys));
    }

    @Override
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        change(uuid, n -> { n.setNicLink(uuid, mac, up); return null; });
    }

    @Override
    public Optional<org.vamt.hypervisor.NicAddress> nicAddress(String uuid, String mac) throws HypervisorException {
        return call(uuid, n -> n.nicAddress(uuid, mac));
    }

    /**
     * SOL through a gateway: the serial console of the VM's node, streamed over that node's console
     * link (mutual TLS, the node's certificate must name the node). Everything AMT-facing stays here.
     */
    @Override
    public org.vamt.hypervisor.SerialConsole openConsole(String uuid) throws HypervisorException {
        String node = ownerOf(uuid).id;
        String link = call(uuid, NodeHypervisor::consoleLink);
        return consoleLinks.get().openConsole(link, node, uuid);
    }

    /** KVM through a gateway: the node's VNC display, relayed over its console link to a one-use loopback port here. */
    @Override
    public Optional<java.net.InetSocketAddress> vncDisplay(String uuid) throws HypervisorException {
        String node = ownerOf(uuid).id;
        String link = call(uuid, NodeHypervisor::consoleLink);
        return Optional.of(consoleLinks.get().openDisplay(link, node, uuid));
    }

    /** IDE-R media served to VMs of nodes: VM (lower case) → its media door's relay. */
    private final Map<String, ConsoleLinkClient.MediaRelay> media = new ConcurrentHashMap<>();

    /**
     * IDE-R through a gateway: {@code media} is this gateway's NBD server (loopback), which the node's
     * QEMU cannot reach. A media door is opened on the VM's node over its console link (a loopback port
     * there), the node is told to insert that door with the same export name, and every connection
     * QEMU makes to the door is relayed to {@code media}. A medium already in the VM's drive is
     * replaced (its door closes once the new one is in).
     */
    @Override
    public void insertMedia(String uuid, org.vamt.hypervisor.NetworkMedia media) throws HypervisorException {
        if (media == null) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "no medium given");
        }
        String node = ownerOf(uuid).id;
        String link = call(uuid, NodeHypervisor::consoleLink);
        ConsoleLinkClient.MediaRelay relay = consoleLinks.get().openMedia(link, node, uuid,
                new java.net.InetSocketAddress(media.host(), media.port()));
        try {
            change(uuid, n -> {
                n.insertMedia(uuid, new org.vamt.hypervisor.NetworkMedia(MediaDoors.LOOPBACK, relay.port(),
                        media.export()));
                return null;
            });
        } catch (HypervisorException | RuntimeException e) {
            relay.close();
            throw e;
        }
        ConsoleLinkClient.MediaRelay replaced = this.media.put(key(uuid), relay);
        if (replaced != null) {
            replaced.close();
        }
        LOG.info("IDE-R medium of VM {} served to node '{}' through its media door (port {} there)", uuid, node,
                relay.port());
    }

    /** Takes the medium out on the node, then closes its door (the node would take it out then anyway). */
    @Override
    public void ejectMedia(String uuid) throws HypervisorException {
        ConsoleLinkClient.MediaRelay relay = media.remove(key(uuid));
        try {
            change(uuid, n -> { n.ejectMedia(uuid); return null; });
        } finally {
            if (relay != null) {
                relay.close();
            }
        }
    }

    /** How console links are opened (tests give their own TLS material). */
    interface ConsoleLinks {
        ConsoleLinkClient get() throws HypervisorException;
    }

    /** Until a link is known (a gateway made without one, in tests), consoles are refused. */
    volatile ConsoleLinks consoleLinks = () -> {
        throw new HypervisorException(Reason.UNSUPPORTED, "no console link: this gateway has no link TLS material");
    };

    /** For tests: whether the node's change journal is followed now. */
    boolean followed(String nodeId) {
        NodeState n = nodes.get(nodeId);
        return n != null && n.followed;
    }

    /** For tests: the ids of the nodes currently bound. */
    Set<String> connectedNodeIds() {
        return nodes.values().stream().filter(n -> n.service != null).map(n -> n.id)
                .collect(java.util.stream.Collectors.toSet());
    }
}
