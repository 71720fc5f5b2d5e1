package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.model.AMT_NetworkPortSystemDefensePolicy;
import org.vamt.cim.model.AMT_NetworkPortSystemDefensePolicyProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.defense.internal.DefenseState.Link;
import org.vamt.provider.defense.internal.DefenseState.StoredObject;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMT_NetworkPortSystemDefensePolicy (also listed as AMT_InterfacePolicy): Create puts a policy on
 * an Ethernet port, Delete (selectors: the two EPRs) takes it off. Of the enabled policies on a
 * port, the one with the highest PolicyPrecedence is active ({@code Active}).
 *
 * <p>Enforcement: while an active policy drops by default in both directions and has no filter
 * that lets packets through, the VM is isolated: every NIC's link is down (see
 * {@link DefenseStore}). Other active policies are stored and reported but not enforced, which is
 * logged. A Create that would isolate the VM fails with NOT_SUPPORTED, and nothing is stored,
 * where the hypervisor cannot change the link state; a Delete that would lift the isolation fails
 * likewise and the policy stays on the port.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_NetworkPortSystemDefensePolicy",
    CimProvider.CLASSES + "=AMT_InterfacePolicy",
    CimProvider.REALM_PREFIX + "AMT_NetworkPortSystemDefensePolicy=11",
    CimProvider.REALM_PREFIX + "AMT_InterfacePolicy=11"})
public class PortPolicyProvider extends AMT_NetworkPortSystemDefensePolicyProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(PortPolicyProvider.class);
    static final String CLASS = AMT_NetworkPortSystemDefensePolicy.CLASS_NAME;

    private final Hypervisor hypervisor;
    private final DefenseStore store;

    @Activate
    public PortPolicyProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new DefenseStore(hypervisor);
    }

    @Override
    protected List<AMT_NetworkPortSystemDefensePolicy> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        DefenseState state = store.load(vm);
        List<AMT_NetworkPortSystemDefensePolicy> out = new ArrayList<>();
        for (Link l : state.links()) {
            OptionalLong active = state.activePolicy(l.port());
            out.add(new AMT_NetworkPortSystemDefensePolicy()
                    .setAntecedent(EthernetPorts.path(l.port()))
                    .setDependent(SystemDefensePolicyProvider.path(l.policy()))
                    .setActive(active.isPresent() && active.getAsLong() == l.policy())
                    .setEnabled(l.enabled()));
        }
        return out;
    }

    /**
     * By the port's DeviceID and the policy's InstanceID, however many keys the client's EPRs
     * carry (consoles send AMT's four port keys; others may send DeviceID alone).
     */
    @Override
    public CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        OptionalInt port = EthernetPorts.portOf(ref(path.key("Antecedent")));
        CimObjectPath dependent = ref(path.key("Dependent"));
        OptionalLong policy = DefenseState.handleOf(dependent == null ? null : dependent.key("InstanceID"));
        if (port.isPresent() && policy.isPresent()) {
            for (AMT_NetworkPortSystemDefensePolicy a : enumerate(ctx)) {
                if (EthernetPorts.portOf(a.getAntecedent()).equals(port)
                        && DefenseState.handleOf(a.getDependent().key("InstanceID")).equals(policy)) {
                    return a.toInstance();
                }
            }
        }
        throw new CimException(CimStatus.NOT_FOUND, "no system defense policy " + (dependent == null ? "?"
                : dependent.key("InstanceID")) + " on " + (port.isPresent() ? EthernetPorts.deviceId(port.getAsInt())
                : "that port"));
    }

    private static CimObjectPath ref(Object value) {
        return value instanceof CimObjectPath p ? p : null;
    }

    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        CimObjectPath antecedent = ref(instance.get("Antecedent"));
        CimObjectPath dependent = ref(instance.get("Dependent"));
        if (antecedent == null || !EthernetPorts.CLASS.equalsIgnoreCase(antecedent.className())) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Antecedent must reference a CIM_EthernetPort");
        }
        if (dependent == null || !DefenseState.POLICY.equalsIgnoreCase(dependent.className())) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Dependent must reference an AMT_SystemDefensePolicy");
        }
        OptionalInt port = EthernetPorts.portOf(antecedent);
        int ports = nicCount(vm);
        if (port.isEmpty() || port.getAsInt() >= ports) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Antecedent: VM " + vm.name() + " has no Ethernet port "
                    + antecedent.key("DeviceID") + " (its ports are " + EthernetPorts.deviceId(0) + "…" + (ports - 1)
                    + ")");
        }
        Object id = dependent.key("InstanceID");
        OptionalLong policy = DefenseState.handleOf(id);
        Object enabledValue = instance.get("Enabled");
        Boolean enabled = enabledValue == null ? Boolean.TRUE : Values.bool(enabledValue);
        if (enabled == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "Enabled must be a boolean, not " + enabledValue);
        }
        int p = port.getAsInt();
        String outcome = store.update(vm, state -> {
            if (policy.isEmpty() || !state.isPolicy(policy.getAsLong())) {
                throw new CimException(CimStatus.INVALID_PARAMETER, "Dependent: no system defense policy " + id);
            }
            long h = policy.getAsLong();
            if (state.link(p, h).isPresent()) {
                throw new CimException(CimStatus.ALREADY_EXISTS, "policy " + id + " is already on "
                        + EthernetPorts.deviceId(p));
            }
            state.addLink(new Link(p, h, enabled));
            return outcome(state, p);
        });
        LOG.info("VM {} ({}): system defense policy {} put on {} by {}: {}", vm.name(), vm.uuid(), id,
                EthernetPorts.deviceId(p), ctx.user(), outcome);
        return new AMT_NetworkPortSystemDefensePolicy()
                .setAntecedent(EthernetPorts.path(p))
                .setDependent(SystemDefensePolicyProvider.path(policy.getAsLong()))
                .path();
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        OptionalInt port = EthernetPorts.portOf(ref(instance.get("Antecedent")));
        CimObjectPath dependent = ref(instance.get("Dependent"));
        Object id = dependent == null ? null : dependent.key("InstanceID");
        OptionalLong policy = DefenseState.handleOf(id);
        String outcome = store.update(vm, state -> {
            if (port.isEmpty() || policy.isEmpty() || !state.removeLink(port.getAsInt(), policy.getAsLong())) {
                throw new CimException(CimStatus.NOT_FOUND, "no system defense policy " + id + " on that port");
            }
            return outcome(state, port.getAsInt());
        });
        LOG.info("VM {} ({}): system defense policy {} taken off {} by {}: {}", vm.name(), vm.uuid(), id,
                EthernetPorts.deviceId(port.getAsInt()), ctx.user(), outcome);
    }

    private int nicCount(MachineInfo vm) throws CimException {
        try {
            return hypervisor.hardware(vm.uuid()).nics().size();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /**
     * What a port's policies amount to after a change, for the log: isolation is enforced, finer
     * filtering is not. Called on the changed state before {@link DefenseStore} brings the links in
     * line, so its saved links still tell whether the VM was isolated.
     */
    private static String outcome(DefenseState state, int port) {
        boolean wasIsolated = state.savedLinks() != null;
        boolean isolated = !state.isolatingPorts().isEmpty();
        String links = wasIsolated == isolated ? (isolated ? "the VM stays isolated" : "the VM's links are unchanged")
                : (isolated ? "the VM is isolated: every NIC's link goes down"
                        : "isolation lifted: the links that were up come back");
        OptionalLong active = state.activePolicy(port);
        if (active.isEmpty()) {
            return "no active policy on the port; " + links;
        }
        long policy = active.getAsLong();
        String subject = "active policy on the port: " + DefenseState.instanceId(policy) + ", which ";
        if (state.isolates(policy)) {
            return subject + "drops all traffic; " + links;
        }
        StoredObject p = state.object(policy).orElseThrow();
        List<Long> filters = DefenseState.filterHandles(p);
        boolean txDrop = Boolean.TRUE.equals(Values.bool(p.get("TxDefaultDrop")));
        boolean rxDrop = Boolean.TRUE.equals(Values.bool(p.get("RxDefaultDrop")));
        if (!txDrop && !rxDrop && filters.isEmpty()) {
            return subject + "lets all traffic through; " + links;
        }
        long passing = filters.stream().map(state::object)
                .filter(o -> o.isPresent() && DefenseState.allowsTraffic(o.get())).count();
        return subject + "does not isolate (default drop tx=" + txDrop + " rx=" + rxDrop + ", " + filters.size()
                + " filter(s), " + passing + " letting packets through): it is stored and reported, but finer"
                + " filtering is not applied by vAMT; " + links;
    }
}
