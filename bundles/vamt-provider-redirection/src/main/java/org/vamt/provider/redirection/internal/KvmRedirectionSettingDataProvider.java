package org.vamt.provider.redirection.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.IPS_KVMRedirectionSettingData;
import org.vamt.cim.model.IPS_KVMRedirectionSettingDataProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPS_KVMRedirectionSettingData, the singleton "Intel(r) KVM Redirection Settings". OptInPolicy and
 * OptInPolicyTimeout are the KVM view of the consent policy of IPS_OptInService: OptInPolicy reads
 * true when OptInRequired is KVM or all; setting it true (while OptInRequired is none) makes
 * OptInRequired KVM, setting it false makes it none. RFBPassword is write-only: it reads back
 * empty, an empty value leaves it unchanged, and it is stored with the VM in clear because VNC
 * authentication needs it so. Nothing listens on port 5900 or 16994 yet: these values are what the
 * future KVM listener will honour.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=IPS_KVMRedirectionSettingData",
    CimProvider.REALM_PREFIX + "IPS_KVMRedirectionSettingData=2"})
public class KvmRedirectionSettingDataProvider extends IPS_KVMRedirectionSettingDataProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(KvmRedirectionSettingDataProvider.class);

    private final Hypervisor hypervisor;
    private final RedirectionStore store;

    @Activate
    public KvmRedirectionSettingDataProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
        this.store = new RedirectionStore(hypervisor);
    }

    @Override
    protected List<IPS_KVMRedirectionSettingData> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        return List.of(current(vm.uuid()));
    }

    private KvmSettings settings(String uuid) throws CimException {
        org.vamt.provider.redirection.RedirectionSettings s = store.get(uuid);
        return new KvmSettings(s.port5900Enabled(), s.sessionTimeout(), s.defaultScreen(), s.backToBackFrames());
    }

    private IPS_KVMRedirectionSettingData current(String uuid) throws CimException {
        KvmSettings kvm = settings(uuid);
        ConsentPolicy policy = ConsentPolicy.load(store, uuid);
        return new IPS_KVMRedirectionSettingData()
                .setInstanceID(RedirectionNames.KVM_SETTINGS)
                .setElementName(RedirectionNames.KVM_SETTINGS)
                .setEnabledByMEBx(true)
                .setBackToBackFbMode(kvm.backToBackFrames())
                .setIs5900PortEnabled(kvm.port5900Enabled())
                .setOptInPolicy(policy.kvmNeedsConsent())
                .setOptInPolicyTimeout(policy.displayTimeout())
                .setSessionTimeout(kvm.sessionTimeout())
                .setRFBPassword("")
                .setDefaultScreen(kvm.defaultScreen());
    }

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        try {
            apply(vm, ctx.user(), modified);
        } catch (CimException e) {
            LOG.info("VM {} ({}): IPS_KVMRedirectionSettingData Put by {} refused: {}", vm.name(), vm.uuid(),
                    ctx.user(), e.getMessage());
            throw e;
        }
        return current(vm.uuid()).toInstance();
    }

    /** Checks everything first, then stores: a refused Put changes nothing. */
    private void apply(MachineInfo vm, String user, CimInstance modified) throws CimException {
        String uuid = vm.uuid();
        KvmSettings storedKvm = settings(uuid);
        KvmSettings wantedKvm = KvmSettings.of(
                flag(modified, "Is5900PortEnabled", storedKvm.port5900Enabled()),
                OptInServiceProvider.number(modified, "SessionTimeout", storedKvm.sessionTimeout()),
                OptInServiceProvider.number(modified, "DefaultScreen", storedKvm.defaultScreen()),
                flag(modified, "BackToBackFbMode", storedKvm.backToBackFrames()));

        ConsentPolicy storedPolicy = ConsentPolicy.load(store, uuid);
        boolean consent = flag(modified, "OptInPolicy", storedPolicy.kvmNeedsConsent());
        long required = consent == storedPolicy.kvmNeedsConsent() ? storedPolicy.optInRequired()
                : consent ? ConsentPolicy.KVM : ConsentPolicy.NONE;
        ConsentPolicy wantedPolicy = ConsentPolicy.of(required,
                OptInServiceProvider.number(modified, "OptInPolicyTimeout", storedPolicy.displayTimeout()));

        Object passwordValue = modified.get("RFBPassword");
        String password = passwordValue == null ? "" : CimValues.text(passwordValue);
        if (!password.isEmpty()) {
            RfbPasswordRule.check(password);
        }

        if (!wantedKvm.equals(storedKvm)) {
            store.update(uuid, s -> s.withKvmSettings(wantedKvm.port5900Enabled(), wantedKvm.sessionTimeout(),
                    wantedKvm.defaultScreen(), wantedKvm.backToBackFrames()));
            LOG.info("VM {} ({}): KVM settings set by {}: {}", vm.name(), uuid, user, wantedKvm.serialize());
        }
        if (!wantedPolicy.equals(storedPolicy)) {
            wantedPolicy.save(store, uuid);
            LOG.info("VM {} ({}): user consent policy set by {} through the KVM settings: OptInRequired {},"
                    + " display timeout {} s", vm.name(), uuid, user, wantedPolicy.optInRequired(),
                    wantedPolicy.displayTimeout());
        }
        if (!password.isEmpty()) {
            store.setRfbPassword(uuid, password);
            LOG.info("VM {} ({}): VNC (RFB) password set by {}", vm.name(), uuid, user);
        }
    }

    private static boolean flag(CimInstance i, String name, boolean otherwise) throws CimException {
        Object v = i.get(name);
        return v == null ? otherwise : CimValues.toBoolean(v);
    }

    /** Ends the open KVM session; until the KVM listener exists none can be open. */
    @Override
    protected MethodResult TerminateSession(RequestContext ctx, CimObjectPath target) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        LOG.info("VM {} ({}): KVM session termination requested by {}; no session is open", vm.name(), vm.uuid(),
                ctx.user());
        return MethodResult.of(RedirectionNames.PT_SUCCESS);
    }
}
