package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.model.AMT_SystemDefensePolicy;
import org.vamt.cim.model.AMT_SystemDefensePolicyProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.defense.internal.DefenseState.Link;
import org.vamt.provider.defense.internal.DefenseState.StoredObject;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AMT_SystemDefensePolicy: created by consoles (WS-Transfer Create), listed, deleted. vAMT
 * assigns the InstanceID "Intel(r) AMT:Handle:n" whatever the client sent (MeshCommander sends a
 * dummy 0). The [Required] properties must be present; FilterCreationHandles must name existing
 * filters. A policy put on a port (AMT_NetworkPortSystemDefensePolicy) is in use and cannot be
 * deleted. Creating a policy changes nothing on the VM: only putting it on a port does.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_SystemDefensePolicy",
    CimProvider.REALM_PREFIX + "AMT_SystemDefensePolicy=11"})
public class SystemDefensePolicyProvider extends AMT_SystemDefensePolicyProviderSkeleton {
    /** At most this many policies per VM (they live in the domain definition). */
    static final int MAX_POLICIES = 32;
    private static final Logger LOG = LoggerFactory.getLogger(SystemDefensePolicyProvider.class);
    private static final String[] REQUIRED_FLAGS = {"TxDefaultDrop", "TxDefaultMatchEvent", "TxDefaultCount",
        "RxDefaultDrop", "RxDefaultMatchEvent", "RxDefaultCount"};

    private final Hypervisor hypervisor;
    private final DefenseStore store;

    @Activate
    public SystemDefensePolicyProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new DefenseStore(hypervisor);
    }

    @Override
    protected List<AMT_SystemDefensePolicy> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        List<AMT_SystemDefensePolicy> out = new ArrayList<>();
        store.load(vm).objects(DefenseState.POLICY).forEach((h, p) -> out.add(typed(h, p)));
        return out;
    }

    static AMT_SystemDefensePolicy typed(long handle, StoredObject policy) {
        CimInstance.Builder b = CimInstance.builder(DefenseState.POLICY)
                .key("InstanceID", DefenseState.instanceId(handle));
        policy.properties().forEach(b::property);
        return AMT_SystemDefensePolicy.from(b.build());
    }

    static CimObjectPath path(long handle) {
        return CimObjectPath.of(DefenseState.POLICY, "InstanceID", DefenseState.instanceId(handle));
    }

    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        AMT_SystemDefensePolicy wanted = AMT_SystemDefensePolicy.from(instance);
        wanted.setPolicyPrecedence(Values.requireInteger(instance, "PolicyPrecedence", 0, 0xFFFFFFFFL));
        Long antiSpoofing = Values.optionalInteger(instance, "AntiSpoofingSupport", 0, 4);
        wanted.setAntiSpoofingSupport(antiSpoofing);
        wanted.setTxDefaultDrop(Values.requireBool(instance, "TxDefaultDrop"))
                .setTxDefaultMatchEvent(Values.requireBool(instance, "TxDefaultMatchEvent"))
                .setTxDefaultCount(Values.requireBool(instance, "TxDefaultCount"))
                .setRxDefaultDrop(Values.requireBool(instance, "RxDefaultDrop"))
                .setRxDefaultMatchEvent(Values.requireBool(instance, "RxDefaultMatchEvent"))
                .setRxDefaultCount(Values.requireBool(instance, "RxDefaultCount"));
        List<Long> filters = Values.integers(instance, "FilterCreationHandles");
        wanted.setFilterCreationHandles(instance.get("FilterCreationHandles") == null ? null : filters);
        Map<String, Object> properties = Values.clientProperties(wanted.toInstance(), "InstanceID");
        long handle = store.update(vm, state -> {
            if (state.objects(DefenseState.POLICY).size() >= MAX_POLICIES) {
                throw new CimException(CimStatus.SERVER_LIMITS_EXCEEDED, "VM " + vm.name() + " already has "
                        + MAX_POLICIES + " system defense policies");
            }
            for (long f : filters) {
                if (!state.isFilter(f)) {
                    throw new CimException(CimStatus.INVALID_PARAMETER, "FilterCreationHandles: no filter with handle "
                            + f + " (" + DefenseState.instanceId(f) + ")");
                }
            }
            return state.add(DefenseState.POLICY, properties);
        });
        LOG.info("VM {} ({}): system defense policy {} '{}' created by {}: precedence {}, default drop tx={} rx={},"
                + " filters {}", vm.name(), vm.uuid(), DefenseState.instanceId(handle), wanted.getPolicyName(),
                ctx.user(), wanted.getPolicyPrecedence(), wanted.getTxDefaultDrop(), wanted.getRxDefaultDrop(), filters);
        return path(handle);
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        Object id = instance.get("InstanceID");
        OptionalLong handle = DefenseState.handleOf(id);
        store.update(vm, state -> {
            if (handle.isEmpty() || !state.isPolicy(handle.getAsLong())) {
                throw new CimException(CimStatus.NOT_FOUND, "no system defense policy " + id);
            }
            List<String> ports = new ArrayList<>();
            for (Link l : state.links()) {
                if (l.policy() == handle.getAsLong()) {
                    ports.add(EthernetPorts.deviceId(l.port()));
                }
            }
            if (!ports.isEmpty()) {
                throw new CimException(CimStatus.FAILED, "System defense policy " + id + " is in use: it is put on "
                        + String.join(", ", ports) + "; delete its AMT_NetworkPortSystemDefensePolicy first");
            }
            state.remove(handle.getAsLong());
            return null;
        });
        LOG.info("VM {} ({}): system defense policy {} deleted by {}", vm.name(), vm.uuid(), id, ctx.user());
    }
}
