package org.vamt.provider.time.internal;

import java.time.Clock;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_TimeSynchronizationService;
import org.vamt.cim.model.AMT_TimeSynchronizationServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.time.FirmwareClock;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The firmware clock of a VM's vAMT: the host clock plus an offset the console may set, kept
 * with the VM (domain metadata) so it survives restarts. MeshCentral reads it on connect and sets
 * it when it drifts by more than 10 s; a failed set would make it drop the device.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_TimeSynchronizationService",
    CimProvider.REALM_PREFIX + "AMT_TimeSynchronizationService=12",
    CimProvider.REALM_PREFIX + "AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch=12"})
public class TimeSynchronizationProvider extends AMT_TimeSynchronizationServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(TimeSynchronizationProvider.class);
    static final long SUCCESS = 0;
    static final long INVALID_PARAMETER = 36;

    private final Hypervisor hypervisor;
    private final Clock clock;

    @Activate
    public TimeSynchronizationProvider(@Reference Hypervisor hypervisor) {
        this(hypervisor, Clock.systemUTC());
    }

    TimeSynchronizationProvider(Hypervisor hypervisor, Clock clock) {
        this.hypervisor = hypervisor;
        this.clock = clock;
    }

    @Override
    protected List<AMT_TimeSynchronizationService> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_TimeSynchronizationService()
                .setCreationClassName(AMT_TimeSynchronizationService.CLASS_NAME)
                .setName("Intel(r) AMT Time Synchronization Service")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName("Intel(r) AMT Time Synchronization Service")
                .setEnabledState(5)
                .setRequestedState(12)
                .setLocalTimeSyncEnabled(0)
                // 0 as AMT reports it: the VM's RTC is the host's, no configuration software sets it
                .setTimeSource(0L));
    }

    @Override
    protected MethodResult GetLowAccuracyTimeSynch(RequestContext ctx, CimObjectPath target) throws CimException {
        long now = clock.instant().getEpochSecond() + offset(ctx);
        return new MethodResult(SUCCESS, java.util.Map.of("Ta0", now));
    }

    /**
     * The console sends the Ta0 it read, Tm1 (its time when Ta0 arrived) and Tm2 (its time now);
     * like AMT we take the console's clock as the truth: the firmware clock becomes Tm2.
     */
    @Override
    protected MethodResult SetHighAccuracyTimeSynch(RequestContext ctx, CimObjectPath target, Long ta0, Long tm1,
                                                    Long tm2) throws CimException {
        if (ta0 == null || tm1 == null || tm2 == null || tm2 < tm1) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        long offset = tm2 - clock.instant().getEpochSecond();
        try {
            new StateStore<>(hypervisor, FirmwareClock.STATE).update(ctx.machineId(), c -> new FirmwareClock(offset));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {} ({}): firmware clock set by {} (offset {} s from the host)", ctx.machineName(), ctx.machineId(),
                ctx.user(), offset);
        return MethodResult.of(SUCCESS);
    }

    private long offset(RequestContext ctx) throws CimException {
        try {
            return new StateStore<>(hypervisor, FirmwareClock.STATE).get(ctx.machineId()).offsetSeconds();
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }
}
