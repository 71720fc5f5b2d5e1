package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.model.AMT_Hdr8021Filter;
import org.vamt.cim.model.AMT_IPHeadersFilter;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.defense.internal.DefenseState.StoredObject;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filters of system defense policies, AMT_IPHeadersFilter and AMT_Hdr8021Filter: created,
 * listed (also as their abstract bases AMT_ComplexFilterEntryBase and AMT_FilterEntryBase) and
 * deleted; a filter a policy names is in use and cannot be deleted. vAMT assigns InstanceID
 * "Intel(r) AMT:Handle:n" (n is what FilterCreationHandles refers to) and the scoping keys; Name is
 * the client's, or "Intel(r) AMT Filter n". Filters are stored and reported, and count for the
 * isolation decision (a passing or rate-limiting filter means the policy does not isolate), but
 * vAMT does not filter packets. AMT_NetworkFilter is served so that consoles listing it get an
 * empty answer: vAMT creates none.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_FilterEntryBase",
    CimProvider.CLASSES + "=AMT_ComplexFilterEntryBase",
    CimProvider.CLASSES + "=AMT_IPHeadersFilter",
    CimProvider.CLASSES + "=AMT_Hdr8021Filter",
    CimProvider.CLASSES + "=AMT_NetworkFilter",
    CimProvider.REALM_PREFIX + "AMT_FilterEntryBase=11",
    CimProvider.REALM_PREFIX + "AMT_ComplexFilterEntryBase=11",
    CimProvider.REALM_PREFIX + "AMT_IPHeadersFilter=11",
    CimProvider.REALM_PREFIX + "AMT_Hdr8021Filter=11",
    CimProvider.REALM_PREFIX + "AMT_NetworkFilter=11"})
public class NetworkFilterProvider implements CimProvider {
    /** At most this many filters per VM (they live in the domain definition). */
    static final int MAX_FILTERS = 64;
    private static final Logger LOG = LoggerFactory.getLogger(NetworkFilterProvider.class);
    /** The keys vAMT assigns, whatever the client sent; Name is the client's. */
    private static final String[] ASSIGNED = {"InstanceID", "SystemCreationClassName", "SystemName",
        "CreationClassName"};

    private final Hypervisor hypervisor;
    private final DefenseStore store;

    @Activate
    public NetworkFilterProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new DefenseStore(hypervisor);
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        String[] classes = switch (className.toLowerCase(Locale.ROOT)) {
            case "amt_ipheadersfilter" -> new String[] {DefenseState.IP_FILTER};
            case "amt_hdr8021filter" -> new String[] {DefenseState.HDR8021_FILTER};
            case "amt_networkfilter" -> new String[0];
            default -> new String[] {DefenseState.IP_FILTER, DefenseState.HDR8021_FILTER};   // the abstract bases
        };
        List<CimInstance> out = new ArrayList<>();
        if (classes.length > 0) {
            store.load(vm).objects(classes).forEach((h, f) -> out.add(instance(h, f)));
        }
        return out;
    }

    /** A stored filter with its keys, in schema order. */
    static CimInstance instance(long handle, StoredObject filter) {
        Object name = filter.get("Name");
        CimInstance.Builder b = CimInstance.builder(filter.className());
        filter.properties().forEach((k, v) -> {
            if (!"Name".equalsIgnoreCase(k)) {
                b.property(k, v);
            }
        });
        b.key("InstanceID", DefenseState.instanceId(handle))
                .key("Name", name == null || String.valueOf(name).isBlank() ? "Intel(r) AMT Filter " + handle : name)
                .key("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM)
                .key("SystemName", AmtNames.AMT_SYSTEM)
                .key("CreationClassName", filter.className());
        CimInstance raw = b.build();
        return DefenseState.IP_FILTER.equals(filter.className()) ? AMT_IPHeadersFilter.from(raw).toInstance()
                : AMT_Hdr8021Filter.from(raw).toInstance();
    }

    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        String cls;
        CimInstance known;
        if (DefenseState.IP_FILTER.equalsIgnoreCase(instance.className())) {
            cls = DefenseState.IP_FILTER;
            Long version = Values.optionalInteger(instance, "HdrIPVersion", 4, 6);
            if (version != null && version == 5) {
                throw new CimException(CimStatus.INVALID_PARAMETER, "HdrIPVersion must be 4 or 6");
            }
            for (String port : new String[] {"HdrSrcPortStart", "HdrSrcPortEnd", "HdrDestPortStart", "HdrDestPortEnd"}) {
                Values.optionalInteger(instance, port, 0, 0xFFFF);
            }
            known = AMT_IPHeadersFilter.from(instance).toInstance();
        } else if (DefenseState.HDR8021_FILTER.equalsIgnoreCase(instance.className())) {
            cls = DefenseState.HDR8021_FILTER;
            Values.requireInteger(instance, "HdrProtocolID8021", 0, 0xFFFF);
            known = AMT_Hdr8021Filter.from(instance).toInstance();
        } else {
            throw new CimException(CimStatus.NOT_SUPPORTED, "Create of " + instance.className()
                    + " is not supported: create an AMT_IPHeadersFilter or an AMT_Hdr8021Filter");
        }
        long profile = Values.requireInteger(instance, "FilterProfile", 0, 4);
        long direction = Values.requireInteger(instance, "FilterDirection", 0, 1);
        Values.requireBool(instance, "ActionEventOnMatch");
        Values.optionalInteger(instance, "FilterProfileData", 0, 0xFFFFFFFFL);
        Map<String, Object> properties = Values.clientProperties(known, ASSIGNED);
        long handle = store.update(vm, state -> {
            if (state.objects(DefenseState.IP_FILTER, DefenseState.HDR8021_FILTER).size() >= MAX_FILTERS) {
                throw new CimException(CimStatus.SERVER_LIMITS_EXCEEDED, "VM " + vm.name() + " already has "
                        + MAX_FILTERS + " system defense filters");
            }
            return state.add(cls, properties);
        });
        LOG.info("VM {} ({}): {} {} '{}' created by {}: direction {}, profile {}; stored and reported, packets are not"
                + " filtered by vAMT", vm.name(), vm.uuid(), cls, DefenseState.instanceId(handle),
                properties.get("Name"), ctx.user(), direction == 0 ? "transmit" : "receive", profile);
        return instance(handle, new StoredObject(cls, properties)).path();
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        Object id = instance.get("InstanceID");
        OptionalLong handle = DefenseState.handleOf(id);
        store.update(vm, state -> {
            if (handle.isEmpty() || !state.isFilter(handle.getAsLong())) {
                throw new CimException(CimStatus.NOT_FOUND, "no system defense filter " + id);
            }
            List<Long> users = state.policiesUsing(handle.getAsLong());
            if (!users.isEmpty()) {
                throw new CimException(CimStatus.FAILED, "Filter " + id + " is in use by system defense polic"
                        + (users.size() == 1 ? "y " : "ies ") + String.join(", ", users.stream()
                                .map(DefenseState::instanceId).toList()) + "; delete those policies first");
            }
            state.remove(handle.getAsLong());
            return null;
        });
        LOG.info("VM {} ({}): system defense filter {} deleted by {}", vm.name(), vm.uuid(), id, ctx.user());
    }
}
