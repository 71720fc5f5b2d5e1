package org.vamt.provider.power.internal;

import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.CIM_AssociatedPowerManagementService;
import org.vamt.cim.model.CIM_ComputerSystem;
import org.vamt.cim.model.CIM_PowerManagementService;
import org.vamt.cim.model.IPS_PowerManagementService;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's three power providers in one concern: the VM as CIM_ComputerSystem
 * "ManagedSystem", its power state (CIM_AssociatedPowerManagementService, also returned when
 * clients enumerate CIM_ServiceAvailableToElement), and CIM_PowerManagementService whose
 * RequestPowerStateChange drives the hypervisor.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_ComputerSystem",
    CimProvider.CLASSES + "=CIM_PowerManagementService",
    CimProvider.CLASSES + "=CIM_AssociatedPowerManagementService",
    CimProvider.CLASSES + "=CIM_ServiceAvailableToElement",
    CimProvider.CLASSES + "=IPS_PowerManagementService"})
public class PowerProvider implements CimProvider {
    private static final Logger LOG = LoggerFactory.getLogger(PowerProvider.class);
    static final String SERVICE = "CIM_PowerManagementService";
    static final String SERVICE_NAME = "Intel(r) AMT Power Management Service";

    /** AMT ReturnValues of RequestPowerStateChange. */
    static final long SUCCESS = 0;
    static final long NOT_READY = 2;

    private final Hypervisor hypervisor;

    @Activate
    public PowerProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        return switch (className.toLowerCase(java.util.Locale.ROOT)) {
            case "cim_computersystem" -> computerSystems(Machines.require(hypervisor, ctx));
            case "cim_powermanagementservice" -> List.of(service().toInstance());
            case "ips_powermanagementservice" -> List.of(osPowerService(Machines.require(hypervisor, ctx)));
            default -> List.of(association(Machines.require(hypervisor, ctx)));
        };
    }

    private static List<CimInstance> computerSystems(MachineInfo vm) {
        boolean on = vm.state().isOn();
        CimInstance host = new CIM_ComputerSystem()
                .setCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setName(AmtNames.MANAGED_SYSTEM)
                .setElementName(vm.name())
                .setEnabledState(on ? 2 : 3)
                .setHealthState(5)
                .setNameFormat("Other")
                .setOperationalStatus(on ? 2 : 10)
                .setRequestedState(12)
                .toInstance();
        CimInstance amt = new CIM_ComputerSystem()
                .setCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setName(AmtNames.AMT_SYSTEM)
                .setDedicated(14)
                .setElementName("Intel(r) AMT Subsystem")
                .setEnabledState(2)
                .setHealthState(5)
                .setOperationalStatus(2)
                .setRequestedState(12)
                .toInstance();
        return List.of(host, amt);
    }

    private static CIM_PowerManagementService service() {
        return new CIM_PowerManagementService()
                .setCreationClassName(SERVICE)
                .setName(SERVICE_NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(SERVICE_NAME)
                .setEnabledState(5)
                .setRequestedState(12);
    }

    /**
     * AMT 10+ reports the OS power state here: 2 full power while the VM runs, and, as real AMT
     * does, no OSPowerSavingState at all while it is off.
     */
    private static CimInstance osPowerService(MachineInfo vm) {
        IPS_PowerManagementService s = new IPS_PowerManagementService()
                .setCreationClassName(IPS_PowerManagementService.CLASS_NAME)
                .setName("Intel(r) AMT Power Management Service")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName("Intel(r) AMT Power Management Service")
                .setEnabledState(5)
                .setRequestedState(12);
        if (vm.state() == MachineState.RUNNING || vm.state() == MachineState.BLOCKED) {
            s.setOSPowerSavingState(2);
        }
        return s.toInstance();
    }

    private static CimInstance association(MachineInfo vm) {
        return new CIM_AssociatedPowerManagementService()
                .setAvailableRequestedPowerStates(PowerStates.available(vm.state()))
                .setPowerState(PowerStates.of(vm.state()))
                .setServiceProvided(service().path())
                .setUserOfService(AmtNames.managedSystem())
                .toInstance();
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        if (IPS_PowerManagementService.CLASS_NAME.equalsIgnoreCase(target.className())
                && "RequestOSPowerSavingStateChange".equalsIgnoreCase(method)) {
            return osPowerSavingChange(ctx, arguments);
        }
        if (!SERVICE.equalsIgnoreCase(target.className()) || !"RequestPowerStateChange".equalsIgnoreCase(method)) {
            throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + " on " + target.className());
        }
        Object requested = arguments.get("PowerState");
        if (requested == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "PowerState is required");
        }
        long value = CimValues.toLong(requested);
        if (value < 0 || value > 0xFFFF) {   // uint16; a plain (int) cast would alias 2^32 + 8 to 8
            throw new CimException(CimStatus.INVALID_PARAMETER, "PowerState out of range: " + value);
        }
        int state = (int) value;
        Object element = arguments.get("ManagedElement");
        if (element != null && !(element instanceof CimObjectPath p
                && AmtNames.MANAGED_SYSTEM.equals(p.key("Name")))) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "ManagedElement must reference the managed system");
        }
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long rv = change(vm, state);
        LOG.info("VM {} ({}): RequestPowerStateChange({}) by {} from state {} -> ReturnValue {}", vm.name(),
                vm.uuid(), state, ctx.user(), vm.state(), rv);
        return MethodResult.of(rv);
    }

    /**
     * A VM has no modern-standby OS state of its own: full power (2) is what a running VM already
     * has, so asking for it succeeds; power saving (3) cannot be forced from outside the guest.
     */
    private MethodResult osPowerSavingChange(RequestContext ctx, Map<String, Object> arguments) throws CimException {
        Object wanted = arguments.get("OSPowerSavingState");
        if (wanted == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "OSPowerSavingState is required");
        }
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long rv = CimValues.toLong(wanted) == 2 && vm.state().isOn() ? SUCCESS : NOT_READY;
        LOG.info("VM {} ({}): RequestOSPowerSavingStateChange({}) by {} -> ReturnValue {}", vm.name(), vm.uuid(), wanted,
                ctx.user(), rv);
        return MethodResult.of(rv);
    }

    /** Performs the change; NOT_READY when the request makes no sense in the current state. */
    private long change(MachineInfo vm, int state) throws CimException {
        boolean on = vm.state().isOn();
        String id = vm.uuid();
        try {
            switch (state) {
                case PowerStates.ON -> {
                    if (on && vm.state() != MachineState.PAUSED) {
                        return NOT_READY;
                    }
                    hypervisor.powerOn(id);
                }
                case PowerStates.OFF_SOFT, PowerStates.OFF_HARD -> {
                    if (!on) {
                        return NOT_READY;
                    }
                    hypervisor.powerOff(id);
                }
                case PowerStates.POWER_CYCLE_SOFT, PowerStates.POWER_CYCLE_HARD -> {
                    if (!on) {
                        return NOT_READY;
                    }
                    hypervisor.powerOff(id);
                    hypervisor.powerOn(id);
                }
                case PowerStates.RESET -> {
                    if (!on) {
                        return NOT_READY;
                    }
                    hypervisor.reset(id);
                }
                case PowerStates.OFF_SOFT_GRACEFUL -> {
                    if (!on) {
                        return NOT_READY;
                    }
                    hypervisor.shutdown(id);
                }
                case PowerStates.RESET_GRACEFUL -> {
                    if (!on) {
                        return NOT_READY;
                    }
                    hypervisor.reboot(id);
                }
                default -> {
                    // Sleep, hibernate, NMI and the graceful cycles are not offered (see AvailableRequestedPowerStates).
                    return NOT_READY;
                }
            }
            return SUCCESS;
        } catch (HypervisorException e) {
            return switch (e.reason()) {
                case INVALID_STATE, UNSUPPORTED -> NOT_READY;
                default -> throw Machines.toCim(e);
            };
        }
    }
}
