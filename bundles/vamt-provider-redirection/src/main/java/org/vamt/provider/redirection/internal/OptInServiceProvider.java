package org.vamt.provider.redirection.internal;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.IPS_OptInService;
import org.vamt.cim.model.IPS_OptInServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.redirection.UserConsentCodes;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPS_OptInService, the singleton "Intel(r) AMT OptIn Service": the user consent policy (Put of
 * OptInRequired and OptInDisplayTimeout, kept with the VM) and the consent code exchange
 * (StartOptIn, SendOptInCode, CancelOptIn; in memory, see {@link UserConsent}). vAMT acts like AMT
 * in admin control mode, so the policy may be changed (CanModifyOptInPolicy 1) and is 0 (no
 * consent) by default. The code a real AMT shows on the PC's screen goes to the operator instead:
 * it is logged at INFO and offered to other bundles as the {@link UserConsentCodes} service.
 */
@Component(service = {CimProvider.class, UserConsentCodes.class},
        property = {
    CimProvider.CLASSES + "=IPS_OptInService",
    CimProvider.REALM_PREFIX + "IPS_OptInService=2"})
public class OptInServiceProvider extends IPS_OptInServiceProviderSkeleton implements UserConsentCodes {
    private static final Logger LOG = LoggerFactory.getLogger(OptInServiceProvider.class);
    static final long CAN_MODIFY_POLICY = 1;

    private final Hypervisor hypervisor;
    private final RedirectionStore store;
    private final UserConsent consent;

    @Activate
    public OptInServiceProvider(@Reference Hypervisor hypervisor) {
        this(hypervisor, Clock.systemUTC());
    }

    OptInServiceProvider(Hypervisor hypervisor, Clock clock) {
        this.hypervisor = hypervisor;
        this.store = new RedirectionStore(hypervisor);
        this.consent = new UserConsent(clock);
    }

    @Override
    protected List<IPS_OptInService> enumerate(RequestContext ctx) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        return List.of(current(vm.uuid()));
    }

    private IPS_OptInService current(String uuid) throws CimException {
        ConsentPolicy policy = ConsentPolicy.load(store, uuid);
        return new IPS_OptInService()
                .setCreationClassName(IPS_OptInService.CLASS_NAME)
                .setName(RedirectionNames.OPT_IN_SERVICE)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(RedirectionNames.OPT_IN_SERVICE)
                .setOptInCodeTimeout(UserConsent.CODE_TIMEOUT_SECONDS)
                .setOptInRequired(policy.optInRequired())
                .setOptInState(consent.state(uuid))
                .setCanModifyOptInPolicy(CAN_MODIFY_POLICY)
                .setOptInDisplayTimeout(policy.displayTimeout());
    }

    /** Put: OptInRequired (0, 1 or 4294967295) and OptInDisplayTimeout (10..4095 s). */
    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        ConsentPolicy stored = ConsentPolicy.load(store, vm.uuid());
        ConsentPolicy wanted;
        try {
            wanted = ConsentPolicy.of(number(modified, "OptInRequired", stored.optInRequired()),
                    number(modified, "OptInDisplayTimeout", stored.displayTimeout()));
        } catch (CimException e) {
            LOG.info("VM {} ({}): IPS_OptInService Put by {} refused: {}", vm.name(), vm.uuid(), ctx.user(),
                    e.getMessage());
            throw e;
        }
        if (!wanted.equals(stored)) {
            wanted.save(store, vm.uuid());
            LOG.info("VM {} ({}): user consent policy set by {}: OptInRequired {}, display timeout {} s", vm.name(),
                    vm.uuid(), ctx.user(), wanted.optInRequired(), wanted.displayTimeout());
        }
        return current(vm.uuid()).toInstance();
    }

    static long number(CimInstance i, String name, long otherwise) throws CimException {
        Object v = i.get(name);
        return v == null ? otherwise : CimValues.toLong(v);
    }

    @Override
    protected MethodResult StartOptIn(RequestContext ctx, CimObjectPath target) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long timeout = ConsentPolicy.load(store, vm.uuid()).displayTimeout();
        return MethodResult.of(consent.start(vm.uuid(), vm.name(), ctx.user(), timeout));
    }

    @Override
    protected MethodResult CancelOptIn(RequestContext ctx, CimObjectPath target) throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        return MethodResult.of(consent.cancel(vm.uuid()));
    }

    @Override
    protected MethodResult SendOptInCode(RequestContext ctx, CimObjectPath target, Long optInCode)
            throws CimException {
        MachineInfo vm = Machines.require(hypervisor, ctx);
        return MethodResult.of(consent.send(vm.uuid(), ctx.user(), optInCode));
    }

    @Override
    public Optional<ConsentCode> displayedCode(String machineId) {
        return consent.displayed(machineId);
    }

    @Override
    public List<ConsentCode> displayedCodes() {
        return consent.allDisplayed();
    }

    @Override
    public boolean beginConsentedSession(String machineId) {
        return consent.beginSession(machineId);
    }

    @Override
    public void endConsentedSession(String machineId) {
        consent.endSession(machineId);
    }
}
