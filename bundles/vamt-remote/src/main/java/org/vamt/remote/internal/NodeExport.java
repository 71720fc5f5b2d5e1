package org.vamt.remote.internal;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.ws.rs.BadRequestException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.StateEntry;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.NodeHypervisor.Changes;
import org.vamt.remote.NodeLink;
import org.vamt.remote.internal.LinkCodec.Answer;
import org.vamt.remote.internal.LinkCodec.Call;

/**
 * The node role: this host's (libvirt) hypervisor offered to gateways as a {@link NodeLink} remote
 * service, exported by CXF DOSGi provider-rs on this node's HTTPS port with mutual TLS (intent
 * {@value MutualTlsIntent#NAME}). Only active with configuration ({@code etc/org.vamt.remote.node.cfg},
 * installed by the {@code vamt-node} feature) and with the link's TLS material ({@link LinkTransport}).
 * A call reaches only the methods of {@link NodeHypervisor}: the hypervisor SPI's that are
 * implemented here (the rest answer UNSUPPORTED) and {@code nodeId}.
 */
@Component(service = {}, immediate = true, configurationPid = NodeExport.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = NodeExport.Config.class)
public class NodeExport implements NodeHypervisor, NodeLink {
    static final String PID = "org.vamt.remote.node";
    private static final Logger LOG = LoggerFactory.getLogger(NodeExport.class);
    /** What a call may name: the node view of the hypervisor SPI, by method name (it has no overloads). */
    private static final Map<String, Method> CALLS = calls();

    @ObjectClassDefinition(name = "vAMT node", description = "This host as a vAMT scale-out node")
    public @interface Config {
        @AttributeDefinition(description = "The node's id, unique on the site (e.g. the host name); "
                + "part of every VM's identity at the gateways, and the CN of its link certificate")
        String vamt_node_id();
    }

    /** The calls that change a VM: after each, gateways are told to forget what they cached about it. */
    private static final java.util.Set<String> CHANGING_CALLS = java.util.Set.of("powerOn", "powerOff", "shutdown",
            "reboot", "reset", "setOnlineVcpus", "injectNmi", "suspend", "setNextBootDevice", "writeState", "setNicLink",
            "insertMedia", "ejectMedia");
    /** Changes kept for gateways that read the journal late (a 10,000-VM node's restart fits). */
    private static final int JOURNAL_CAPACITY = 20_000;

    private final Hypervisor local;
    private final String nodeId;
    private final NodeChanges changes;
    private AutoCloseable listener;
    private ServiceRegistration<?> registration;
    private ServiceRegistration<?> changeListener;
    /** SOL/KVM streams for gateways; absent without link TLS material. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile NodeConsoleLink consoles;

    @Activate
    public NodeExport(@Reference(target = "(!(service.imported=*))") Hypervisor local,
                      @Reference MutualTlsIntent link, Config config, BundleContext context) throws Exception {
        this(local, config.vamt_node_id());
        String address = link.nodeAddress(nodeId);
        listener = link.listen();
        try {
            changeListener = context.registerService(org.vamt.hypervisor.MachineListener.class, changes, null);
            registration = context.registerService(NodeLink.class.getName(), this, exportProperties(address, nodeId));
        } catch (RuntimeException e) {
            listener.close();
            throw e;
        }
        LOG.info("vAMT node '{}': offering this host's hypervisor to gateways at {}", nodeId, address);
    }

    NodeExport(Hypervisor local, String nodeId) {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("PID " + PID + ": vamt.node.id must be 1-64 of [A-Za-z0-9_.-], got "
                    + nodeId);
        }
        this.local = local;
        this.nodeId = nodeId;
        this.changes = new NodeChanges(JOURNAL_CAPACITY, this::machineOrNull);
    }

    private MachineInfo machineOrNull(String uuid) {
        try {
            return local.machine(uuid).orElse(null);
        } catch (HypervisorException | RuntimeException e) {
            return null;   // the gateway re-reads the node when a change comes without the VM
        }
    }

    /** The journal gateways read; libvirt's lifecycle events go in here (a listener service in OSGi). */
    org.vamt.hypervisor.MachineListener changeJournal() {
        return changes;
    }

    /** The Remote Services properties that make Aries RSA export the link with provider-rs and the TLS intent. */
    static Dictionary<String, Object> exportProperties(String address, String nodeId) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("service.exported.interfaces", NodeLink.class.getName());
        p.put("service.exported.configs", MutualTlsIntent.CONFIG_TYPE);
        p.put("service.exported.intents", MutualTlsIntent.NAME);
        p.put(MutualTlsIntent.ADDRESS_PROPERTY, address);
        p.put(NodeLink.NODE_ID, nodeId);
        return p;
    }

    @Deactivate
    void deactivate() throws Exception {
        changes.close();
        if (registration != null) {
            registration.unregister();
        }
        if (changeListener != null) {
            changeListener.unregister();
        }
        if (listener != null) {
            listener.close();
        }
    }

    // ------------------------------------------------------------------ NodeLink: a batch of calls

    private static Map<String, Method> calls() {
        Map<String, Method> calls = new HashMap<>();
        for (Method m : NodeHypervisor.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && calls.put(m.getName(), m) != null) {
                throw new IllegalStateException("NodeHypervisor." + m.getName() + " is overloaded: the link "
                        + "names calls by method name");
            }
        }
        return Map.copyOf(calls);
    }

    @Override
    public byte[] calls(byte[] request) {
        List<Call> calls;
        try {
            calls = LinkCodec.readCalls(request);
        } catch (IOException e) {
            throw new BadRequestException("not a vAMT link request: " + e.getMessage());
        }
        List<Answer> answers = new ArrayList<>(calls.size());
        for (Call c : calls) {
            // a held call ties up a thread here for seconds: one per request, never a batch of them
            answers.add(calls.size() > 1 && "changes".equals(c.method())
                    ? Answer.failed(Reason.INVALID_ARGUMENT, "changes is called alone, not in a batch")
                    : answer(c));
        }
        return LinkCodec.writeAnswers(answers);
    }

    /** Runs one call on this node's hypervisor; every failure becomes an answer with its reason. */
    Answer answer(Call call) {
        Method method = CALLS.get(call.method());
        if (method == null) {
            String name = call.method().length() > 64 ? call.method().substring(0, 64) + "..." : call.method();
            return Answer.failed(Reason.UNSUPPORTED, "no call '" + name + "' on a vAMT node");
        }
        if (call.args().size() != method.getParameterCount()) {
            return Answer.failed(Reason.INVALID_ARGUMENT, method.getName() + " takes " + method.getParameterCount()
                    + " arguments, not " + call.args().size());
        }
        Object[] args = new Object[call.args().size()];
        try {
            for (int i = 0; i < args.length; i++) {
                args[i] = LinkCodec.fromJson(call.args().get(i), method.getGenericParameterTypes()[i]);
            }
        } catch (IOException | IllegalArgumentException e) {
            return Answer.failed(Reason.INVALID_ARGUMENT, "bad argument for " + method.getName() + ": " + e.getMessage());
        }
        try {
            return Answer.ok(method.invoke(this, args));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof HypervisorException h) {
                return Answer.failed(h.reason(), h.getMessage());
            }
            LOG.warn("A gateway's call {} failed on this node", method.getName(), e.getCause());
            return Answer.failed(Reason.FAILED, String.valueOf(e.getCause()));
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return Answer.failed(Reason.FAILED, method.getName() + ": " + e);
        } finally {
            // also after a failed change: it may have changed part of the VM
            if (CHANGING_CALLS.contains(method.getName()) && args.length > 0 && args[0] instanceof String uuid) {
                changes.changedByCall(uuid);
            }
        }
    }

    // ------------------------------------------------------------------ the hypervisor a gateway sees

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String consoleLink() {
        NodeConsoleLink link = consoles;
        return link == null ? null : link.advertised();
    }

    @Override
    public Changes changes(String epoch, long after, long holdMillis) throws HypervisorException {
        try {
            return changes.after(epoch, after, holdMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' is stopping");
        }
    }

    @Override
    public List<MachineInfo> listMachines() throws HypervisorException {
        return List.copyOf(local.listMachines());
    }

    @Override
    public List<org.vamt.hypervisor.MachineId> listMachineIds() throws HypervisorException {
        return List.copyOf(local.listMachineIds());
    }

    @Override
    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        return local.machine(uuid);
    }

    @Override
    public String definitionXml(String uuid) throws HypervisorException {
        return local.definitionXml(uuid);
    }

    @Override
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return local.hardware(uuid);
    }

    @Override
    public void powerOn(String uuid) throws HypervisorException {
        local.powerOn(uuid);
    }

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        local.powerOff(uuid);
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        local.shutdown(uuid);
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        local.reboot(uuid);
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        local.reset(uuid);
    }

    @Override
    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        local.setOnlineVcpus(uuid, count);
    }

    @Override
    public void injectNmi(String uuid) throws HypervisorException {
        local.injectNmi(uuid);
    }

    @Override
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        local.suspend(uuid, toDisk);
    }

    @Override
    public void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        local.setNextBootDevice(uuid, device);
    }

    @Override
    public Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        return local.nextBootDevice(uuid);
    }

    @Override
    public StateEntry readState(String uuid, String namespace, java.util.Set<String> legacyKeys)
            throws HypervisorException {
        return local.readState(uuid, namespace, legacyKeys);
    }

    @Override
    public long writeState(String uuid, String namespace, long expectedGeneration, String json,
                           java.util.Set<String> dropLegacyKeys) throws HypervisorException {
        return local.writeState(uuid, namespace, expectedGeneration, json, dropLegacyKeys);
    }

    @Override
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        local.setNicLink(uuid, mac, up);
    }

    @Override
    public Optional<org.vamt.hypervisor.NicAddress> nicAddress(String uuid, String mac) throws HypervisorException {
        return local.nicAddress(uuid, mac);
    }

    /**
     * IDE-R through a gateway: the medium must be a media door of this node's console link for the VM
     * (the gateway opened it; QEMU's NBD client connects there and the bytes cross the console link to
     * the gateway's NBD server). Any other medium is refused: a gateway cannot point a VM anywhere else.
     */
    @Override
    public void insertMedia(String uuid, org.vamt.hypervisor.NetworkMedia media) throws HypervisorException {
        mediaDoors().insertMedia(uuid, media);
    }

    @Override
    public void ejectMedia(String uuid) throws HypervisorException {
        mediaDoors().ejectMedia(uuid);
    }

    private NodeConsoleLink mediaDoors() throws HypervisorException {
        NodeConsoleLink link = consoles;
        if (link == null) {
            throw new HypervisorException(Reason.UNSUPPORTED, "node '" + nodeId + "' has no console link: IDE-R media"
                    + " from gateways cannot reach its VMs");
        }
        return link;
    }
}
