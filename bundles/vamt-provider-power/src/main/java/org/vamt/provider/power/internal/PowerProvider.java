package org.vamt.provider.power.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.CIM_AssociatedPowerManagementService;
import org.vamt.cim.model.CIM_ComputerSystem;
import org.vamt.cim.model.CIM_PowerManagementCapabilities;
import org.vamt.cim.model.CIM_PowerManagementService;
import org.vamt.cim.model.IPS_PowerManagementService;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.power.RemotePowerOn;
import org.vamt.provider.power.internal.GracefulFollowUp.Step;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's three power providers in one concern: the VM as CIM_ComputerSystem
 * "ManagedSystem", its power state (CIM_AssociatedPowerManagementService, also returned when
 * clients enumerate CIM_ServiceAvailableToElement), and CIM_PowerManagementService whose
 * RequestPowerStateChange drives the hypervisor.
 *
 * <p>Every request answers at once: 0 when accepted, 2 (NOT_READY) when impossible now. Graceful
 * requests that need a follow-up (13, 15, 16) finish on this component's own scheduler, which
 * hears the hypervisor's lifecycle events as a {@link MachineListener} (whiteboard).
 */
@Component(service = {CimProvider.class, MachineListener.class}, configurationPid = PowerProvider.PID, property = {
    CimProvider.CLASSES + "=CIM_ComputerSystem",
    CimProvider.CLASSES + "=CIM_PowerManagementService",
    CimProvider.CLASSES + "=CIM_AssociatedPowerManagementService",
    CimProvider.CLASSES + "=CIM_ServiceAvailableToElement",
    CimProvider.CLASSES + "=IPS_PowerManagementService",
    CimProvider.CLASSES + "=CIM_PowerManagementCapabilities",
    CimProvider.REALM_PREFIX + "CIM_ComputerSystem=*",
    CimProvider.REALM_PREFIX + "CIM_PowerManagementService=5",
    CimProvider.REALM_PREFIX + "CIM_AssociatedPowerManagementService=5",
    CimProvider.REALM_PREFIX + "CIM_ServiceAvailableToElement=5",
    CimProvider.REALM_PREFIX + "IPS_PowerManagementService=5",
    CimProvider.REALM_PREFIX + "CIM_PowerManagementCapabilities=5"})
@Designate(ocd = PowerProvider.Config.class)
public class PowerProvider implements CimProvider, MachineListener {
    static final String PID = "org.vamt.provider.power";
    private static final Logger LOG = LoggerFactory.getLogger(PowerProvider.class);
    static final String SERVICE = "CIM_PowerManagementService";
    static final String SERVICE_NAME = "Intel(r) AMT Power Management Service";
    static final String FOLLOW_UP_THREAD_NAME = "vamt-power-follow-up";

    /** AMT ReturnValues of RequestPowerStateChange. */
    static final long SUCCESS = 0;
    static final long NOT_READY = 2;

    @ObjectClassDefinition(id = PID, name = "vAMT power",
            description = "Power control of the VMs. File: etc/org.vamt.provider.power.cfg")
    public @interface Config {
        @AttributeDefinition(name = "Graceful timeout (s)",
                description = "How long the graceful requests wait for the guest to power off after the ACPI"
                        + " shutdown request: then 13 (off - hard graceful) and 16 (power cycle - hard graceful)"
                        + " force the VM off, 15 (power cycle - soft graceful) leaves it running. At least 1.")
        long gracefulTimeoutSeconds() default 120;
    }

    private final Hypervisor hypervisor;
    private final Duration gracefulTimeout;
    private final ScheduledThreadPoolExecutor executor;
    /** Pending graceful follow-ups by VM UUID: at most one per VM. */
    private final Map<String, FollowUp> pending = new ConcurrentHashMap<>();

    @Activate
    public PowerProvider(@Reference Hypervisor hypervisor, Config config) {
        this(hypervisor, Duration.ofSeconds(Math.max(1, config.gracefulTimeoutSeconds())));
    }

    /** For tests: any timeout, e.g. a fraction of a second. */
    PowerProvider(Hypervisor hypervisor, Duration gracefulTimeout) {
        this.hypervisor = hypervisor;
        this.gracefulTimeout = gracefulTimeout;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, FOLLOW_UP_THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    Duration gracefulTimeout() {
        return gracefulTimeout;
    }

    /** Stops the scheduler; pending follow-ups are abandoned (the VMs stay as they are). */
    @Deactivate
    void deactivate() {
        for (FollowUp f : List.copyOf(pending.values())) {
            if (pending.remove(f.uuid, f)) {
                f.cancel();
                LOG.info("VM {} ({}): follow-up of RequestPowerStateChange({}) abandoned: power provider stopping",
                        f.name, f.uuid, f.requested);
            }
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(3, TimeUnit.SECONDS)) {
                LOG.warn("Power follow-up thread did not stop within 3 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        return switch (className.toLowerCase(java.util.Locale.ROOT)) {
            case "cim_computersystem" -> computerSystems(Machines.require(hypervisor, ctx));
            case "cim_powermanagementservice" -> List.of(service().toInstance());
            case "ips_powermanagementservice" -> List.of(osPowerService(Machines.require(hypervisor, ctx)));
            case "cim_powermanagementcapabilities" -> List.of(capabilities(Machines.require(hypervisor, ctx)));
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

    /**
     * What the power service can do, whatever the VM's state now (the state-dependent list is the
     * association's AvailableRequestedPowerStates): the requests vAMT carries out and AMT 16
     * advertises, in AMT's order (PowerStates.SUPPORTED); power saving entered automatically (2),
     * power state settable (3), power cycling (4), timed power on (7, the alarm clock) and graceful
     * shutdown (8, the guest's ACPI power button). The VM must exist (NOT_FOUND otherwise).
     */
    private static CimInstance capabilities(MachineInfo vm) {
        return new CIM_PowerManagementCapabilities()
                .setInstanceID("Intel(r) AMT:PowerManagementCapabilities 0")
                .setElementName("Power Management Capabilities")
                .setOtherPowerChangeCapabilities("")
                .setPowerChangeCapabilities(2, 3, 4, 7, 8)
                .setPowerStatesSupported(PowerStates.SUPPORTED)
                .setRequestedPowerStatesSupported(PowerStates.SUPPORTED)
                .toInstance();
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

    /**
     * Performs the change; NOT_READY when the request makes no sense in the current state or the
     * hypervisor cannot do it. An accepted request replaces a graceful follow-up still pending for the VM.
     */
    private long change(MachineInfo vm, int state) throws CimException {
        if (!PowerStates.possible(state, vm.state())) {
            return NOT_READY;
        }
        String id = vm.uuid();
        // Set a pending follow-up aside so that it does not react to what this request does; it is
        // dropped when this request is accepted and restored when it fails.
        FollowUp superseded = pending.remove(id);
        boolean accepted = false;
        try {
            recordBoot(vm, state);
            switch (state) {
                case PowerStates.ON -> hypervisor.powerOn(id);   // start, resume, or wake up from PM suspend
                case PowerStates.SLEEP_DEEP -> hypervisor.suspend(id, false);
                case PowerStates.HIBERNATE -> hypervisor.suspend(id, true);
                case PowerStates.OFF_SOFT, PowerStates.OFF_HARD -> hypervisor.powerOff(id);
                case PowerStates.POWER_CYCLE_SOFT, PowerStates.POWER_CYCLE_HARD -> {
                    hypervisor.powerOff(id);
                    hypervisor.powerOn(id);
                }
                case PowerStates.RESET -> {
                    if (bootDevicePending(id)) {
                        // a reset keeps the running VM and cannot change its boot device: cold start instead
                        LOG.info("VM {} ({}): one-time boot device pending, reset becomes power off + on", vm.name(), id);
                        hypervisor.powerOff(id);
                        hypervisor.powerOn(id);
                    } else {
                        hypervisor.reset(id);
                    }
                }
                case PowerStates.NMI -> hypervisor.injectNmi(id);
                case PowerStates.OFF_SOFT_GRACEFUL -> hypervisor.shutdown(id);
                case PowerStates.RESET_GRACEFUL -> {
                    if (bootDevicePending(id)) {
                        // a guest reboot stays in the same VM process: shut down and start, so the boot device applies
                        LOG.info("VM {} ({}): one-time boot device pending, graceful reset becomes shutdown + start",
                                vm.name(), id);
                        hypervisor.shutdown(id);
                        awaitPowerOff(id, vm.name(), state);
                    } else {
                        hypervisor.reboot(id);
                    }
                }
                case PowerStates.OFF_HARD_GRACEFUL, PowerStates.POWER_CYCLE_SOFT_GRACEFUL,
                        PowerStates.POWER_CYCLE_HARD_GRACEFUL -> {
                    hypervisor.shutdown(id);
                    awaitPowerOff(id, vm.name(), state);
                }
                default -> throw new IllegalStateException("PowerStates.possible accepted " + state);
            }
            accepted = true;
            return SUCCESS;
        } catch (HypervisorException e) {
            return switch (e.reason()) {
                case INVALID_STATE, UNSUPPORTED -> {
                    LOG.info("VM {} ({}): RequestPowerStateChange({}) not possible: {}", vm.name(), id, state,
                            e.getMessage());
                    yield NOT_READY;
                }
                default -> throw Machines.toCim(e);
            };
        } finally {
            if (superseded != null) {
                if (accepted) {
                    superseded.cancel();
                    LOG.info("VM {} ({}): pending follow-up of RequestPowerStateChange({}) replaced by"
                            + " RequestPowerStateChange({})", vm.name(), id, superseded.requested, state);
                } else {
                    restore(superseded);
                }
            }
        }
    }

    /**
     * Records a request that (re)boots the VM as its last remote power-on, before the hypervisor
     * acts (its start event must find it), for IPS_HostBootReason. A failed write is logged and
     * does not stop the request.
     */
    private void recordBoot(MachineInfo vm, int state) {
        int previous = switch (state) {
            // ON resumes a paused VM without booting it
            case PowerStates.ON -> vm.state() == MachineState.PAUSED ? 0
                    : vm.state() == MachineState.SUSPENDED ? RemotePowerOn.S3 : RemotePowerOn.S5;
            case PowerStates.RESET, PowerStates.RESET_GRACEFUL -> RemotePowerOn.S0;
            case PowerStates.POWER_CYCLE_SOFT, PowerStates.POWER_CYCLE_HARD, PowerStates.POWER_CYCLE_SOFT_GRACEFUL,
                    PowerStates.POWER_CYCLE_HARD_GRACEFUL -> RemotePowerOn.S5;
            default -> 0;
        };
        if (previous == 0) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            new StateStore<>(hypervisor, RemotePowerOn.STATE).update(vm.uuid(), r -> new RemotePowerOn(now, previous));
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {} ({}): could not record the remote power-on for the host boot reason: {}", vm.name(),
                    vm.uuid(), e.toString());
        }
    }

    /** Whether a one-time boot device waits for the next start; a hypervisor without them has none. */
    private boolean bootDevicePending(String id) throws HypervisorException {
        try {
            return hypervisor.nextBootDevice(id).isPresent();
        } catch (HypervisorException e) {
            if (e.reason() == HypervisorException.Reason.UNSUPPORTED) {
                return false;
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- graceful follow-ups

    /**
     * After an ACPI shutdown (13, 15, 16, or 14 with a pending boot device) has been sent: waits,
     * without blocking the caller, until the guest is off or the timeout has passed, then does what
     * {@link GracefulFollowUp#decide} says. Lifecycle events of the VM trigger a state check; one check
     * runs at once (the guest may already be off) and one at the deadline.
     *
     * @return the step finally taken; cancelled when a later request or deactivation replaced it
     */
    CompletableFuture<Step> awaitPowerOff(String uuid, String name, int requested) {
        FollowUp f = new FollowUp(uuid, name, requested, GracefulFollowUp.Kind.of(requested));
        FollowUp previous = pending.put(uuid, f);
        if (previous != null) {
            previous.cancel();
        }
        try {
            f.deadline = executor.schedule(() -> onDeadline(f), gracefulTimeout.toMillis(), TimeUnit.MILLISECONDS);
            executor.execute(() -> check(f));
            LOG.info("VM {} ({}): RequestPowerStateChange({}): waiting up to {} s for the guest to power off", name,
                    uuid, requested, gracefulTimeout.toMillis() / 1000.0);
        } catch (RejectedExecutionException e) {
            pending.remove(uuid, f);
            LOG.warn("VM {} ({}): RequestPowerStateChange({}): power provider stopping, follow-up dropped", name, uuid,
                    requested);
            f.result.cancel(false);
        }
        return f.result;
    }

    /** Hypervisor event (whiteboard): a VM with a pending follow-up changed, check its state. */
    @Override
    public void machineChanged(MachineEvent event) {
        FollowUp f = pending.get(event.uuid());
        if (f == null) {
            return;
        }
        try {
            executor.execute(() -> check(f));
        } catch (RejectedExecutionException e) {
            // deactivating
        }
    }

    /** Acts if the guest is off (or gone); otherwise keeps waiting. Runs on the executor. */
    private void check(FollowUp f) {
        if (pending.get(f.uuid) != f) {
            return;
        }
        MachineState state;
        try {
            state = hypervisor.machine(f.uuid).map(MachineInfo::state).orElse(null);
        } catch (HypervisorException e) {
            LOG.debug("VM {} ({}): state check failed, waiting for the next event or the deadline: {}", f.name, f.uuid,
                    e.getMessage());
            return;
        }
        Step step = GracefulFollowUp.decide(f.kind, state, false);
        if (step != Step.WAIT && pending.remove(f.uuid, f)) {
            f.cancelDeadline();
            perform(f, step);
        }
    }

    /** The timeout has passed: decide for the last time. Runs on the executor. */
    private void onDeadline(FollowUp f) {
        if (!pending.remove(f.uuid, f)) {
            return;
        }
        MachineState state;
        try {
            state = hypervisor.machine(f.uuid).map(MachineInfo::state).orElse(null);
        } catch (HypervisorException e) {
            LOG.warn("VM {} ({}): RequestPowerStateChange({}) not completed: cannot read the state after {} s: {}", f.name,
                    f.uuid, f.requested, gracefulTimeout.toMillis() / 1000.0, e.getMessage());
            f.result.completeExceptionally(e);
            return;
        }
        perform(f, GracefulFollowUp.decide(f.kind, state, true));
    }

    private void perform(FollowUp f, Step step) {
        String what = "VM " + f.name + " (" + f.uuid + "): RequestPowerStateChange(" + f.requested + ")";
        try {
            switch (step) {
                case DONE -> LOG.info("{}: the guest has powered off", what);
                case START -> {
                    hypervisor.powerOn(f.uuid);
                    LOG.info("{}: the guest has powered off; started it again", what);
                }
                case FORCE_OFF -> {
                    hypervisor.powerOff(f.uuid);
                    LOG.info("{}: the guest did not power off within {} s; powered it off hard", what,
                            gracefulTimeout.toMillis() / 1000.0);
                }
                case FORCE_OFF_AND_START -> {
                    hypervisor.powerOff(f.uuid);
                    hypervisor.powerOn(f.uuid);
                    LOG.info("{}: the guest did not power off within {} s; powered it off hard and started it again",
                            what, gracefulTimeout.toMillis() / 1000.0);
                }
                case GIVE_UP -> LOG.warn("{}: the guest did not comply: still running {} s after the shutdown request;"
                        + " left running, power cycle not done", what, gracefulTimeout.toMillis() / 1000.0);
                case GONE -> LOG.info("{}: the machine no longer exists; nothing more to do", what);
                case WAIT -> throw new IllegalStateException("WAIT is not a final step");
            }
            f.result.complete(step);
        } catch (HypervisorException e) {
            LOG.warn("{}: follow-up {} failed: {}", what, step, e.getMessage());
            f.result.completeExceptionally(e);
        } catch (RuntimeException e) {
            LOG.warn("{}: follow-up {} failed", what, step, e);
            f.result.completeExceptionally(e);
        }
    }

    /** Puts back a follow-up set aside for a request that failed, and catches up on what it missed. */
    private void restore(FollowUp f) {
        if (pending.putIfAbsent(f.uuid, f) != null) {
            f.cancel();   // cannot happen while requests for one VM do not overlap; never keep two
            return;
        }
        ScheduledFuture<?> d = f.deadline;
        boolean deadlinePassed = d != null && d.isDone();
        try {
            executor.execute(deadlinePassed ? () -> onDeadline(f) : () -> check(f));
        } catch (RejectedExecutionException e) {
            pending.remove(f.uuid, f);   // deactivating
        }
    }

    /** One VM's pending follow-up. */
    private static final class FollowUp {
        final String uuid;
        final String name;
        final int requested;
        final GracefulFollowUp.Kind kind;
        final CompletableFuture<Step> result = new CompletableFuture<>();
        volatile ScheduledFuture<?> deadline;

        FollowUp(String uuid, String name, int requested, GracefulFollowUp.Kind kind) {
            this.uuid = uuid;
            this.name = name;
            this.requested = requested;
            this.kind = kind;
        }

        void cancelDeadline() {
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
        }

        void cancel() {
            cancelDeadline();
            result.cancel(false);
        }
    }
}
