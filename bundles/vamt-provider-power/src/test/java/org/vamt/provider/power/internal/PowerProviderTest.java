package org.vamt.provider.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.libvirt.internal.TestDriverAccess;
import org.vamt.provider.power.internal.GracefulFollowUp.Step;
import org.vamt.provider.support.AmtNames;

/**
 * PowerProvider against libvirt's test driver loaded with the demo machines. The provider hears the
 * driver's lifecycle events as it would in OSGi (bound as a MachineListener), with a short graceful
 * timeout. The test driver's guests obey ACPI shutdown at once; a guest that ignores it is a follow-up
 * started without sending the shutdown.
 */
class PowerProviderTest {
    private static final List<Long> AVAILABLE_WHEN_RUNNING = List.of(10L, 8L, 5L, 11L, 14L, 12L);
    private static final Duration TIMEOUT = Duration.ofMillis(300);

    private DemoHypervisor demo;
    private PowerProvider provider;
    /** Every event of the test driver, in delivery order (one dispatcher thread). */
    private final List<MachineEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        TestDriverAccess.addMachineListener(demo, events::add);
        provider = new PowerProvider(demo.hypervisor(), TIMEOUT);
        TestDriverAccess.addMachineListener(demo, provider);
    }

    @AfterEach
    void stop() {
        provider.deactivate();
        demo.close();
    }

    private static RequestContext ctx(String uuid, String name) {
        return new RequestContext(uuid, name, "admin", "Digest:0123456789ABCDEF0123456789ABCDEF");
    }

    private static RequestContext desktop01() {
        return ctx(DESKTOP_01, "desktop-01");
    }

    private MachineState state(String uuid) throws Exception {
        return demo.hypervisor().machine(uuid).orElseThrow().state();
    }

    private CimObjectPath servicePath(RequestContext ctx) throws CimException {
        List<CimInstance> services = provider.enumerateInstances(ctx, "CIM_PowerManagementService");
        assertEquals(1, services.size());
        return services.get(0).path();
    }

    private long request(RequestContext ctx, Object powerState) throws CimException {
        Map<String, Object> args = new HashMap<>();
        args.put("PowerState", powerState);
        args.put("ManagedElement", AmtNames.managedSystem());
        return provider.invokeMethod(ctx, servicePath(ctx), "RequestPowerStateChange", args).returnValue();
    }

    private CimInstance association(RequestContext ctx, String className) throws CimException {
        List<CimInstance> list = provider.enumerateInstances(ctx, className);
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

    private static CimStatus statusOf(Executable e) {
        return assertThrows(CimException.class, e).status();
    }

    /**
     * The event types recorded for {@code uuid} so far, made certain by a marker: kiosk is powered off
     * and its STOPPED awaited. libvirt queues events in order and the hypervisor delivers them on one
     * thread, so every event that {@code uuid} had before is recorded by then.
     */
    private List<MachineEvent.Type> eventsBeforeMarker(String uuid) throws Exception {
        assertEquals(0, request(ctx(KIOSK, "kiosk"), 8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (events.stream().noneMatch(e -> e.uuid().equals(KIOSK) && e.type() == MachineEvent.Type.STOPPED)) {
            assertTrue(System.nanoTime() < deadline, "marker event not delivered");
            Thread.sleep(10);
        }
        return events.stream().filter(e -> e.uuid().equals(uuid)).map(MachineEvent::type).toList();
    }

    private static PowerProvider.Config config(long seconds) {
        return (PowerProvider.Config) Proxy.newProxyInstance(PowerProvider.Config.class.getClassLoader(),
                new Class<?>[] {PowerProvider.Config.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "gracefulTimeoutSeconds" -> seconds;
                    case "annotationType" -> PowerProvider.Config.class;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "Config[" + seconds + "]";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    // ---------------------------------------------------------------- enumeration

    @Test
    void computerSystemsOfRunningVm() throws Exception {
        List<CimInstance> systems = provider.enumerateInstances(desktop01(), "CIM_ComputerSystem");
        assertEquals(2, systems.size());
        CimInstance host = systems.get(0);
        assertEquals("CIM_ComputerSystem", host.className());
        assertEquals("ManagedSystem", host.get("Name"));
        assertEquals("CIM_ComputerSystem", host.get("CreationClassName"));
        assertEquals("desktop-01", host.get("ElementName"));
        assertEquals(2L, host.get("EnabledState"));
        assertEquals(List.of(2L), host.get("OperationalStatus"), "uint16[] in the schema");
        assertEquals(AmtNames.managedSystem(), host.path());
        CimInstance amt = systems.get(1);
        assertEquals("Intel(r) AMT", amt.get("Name"));
        assertEquals(2L, amt.get("EnabledState"));
    }

    @Test
    void computerSystemsOfShutOffVm() throws Exception {
        List<CimInstance> systems = provider.enumerateInstances(ctx(BUILD_SERVER, "build-server"), "cim_computersystem");
        CimInstance host = systems.get(0);
        assertEquals("ManagedSystem", host.get("Name"));
        assertEquals("build-server", host.get("ElementName"));
        assertEquals(3L, host.get("EnabledState"));
        assertEquals(List.of(10L), host.get("OperationalStatus"));
        // the AMT subsystem stays enabled while the host is off
        assertEquals(2L, systems.get(1).get("EnabledState"));
    }

    @Test
    void elementNameIsTheLibvirtNameNotTheContextName() throws Exception {
        CimInstance host = provider.enumerateInstances(ctx(KIOSK, "stale-name"), "CIM_ComputerSystem").get(0);
        assertEquals("kiosk", host.get("ElementName"));
    }

    @Test
    void powerManagementService() throws Exception {
        CimInstance service = provider.enumerateInstances(desktop01(), "CIM_PowerManagementService").get(0);
        assertEquals("CIM_PowerManagementService", service.className());
        assertEquals("Intel(r) AMT Power Management Service", service.get("Name"));
        assertEquals("Intel(r) AMT", service.get("SystemName"));
        assertEquals(4, service.keyNames().size());
    }

    /** AMT 16's capabilities, and every requestable state is one vAMT carries out in some VM state. */
    @Test
    void powerManagementCapabilitiesListWhatTheVmCanBeAskedFor() throws Exception {
        java.util.List<CimInstance> caps = provider.enumerateInstances(ctx(BUILD_SERVER, "build-server"), "CIM_PowerManagementCapabilities");
        assertEquals(1, caps.size());
        CimInstance c = caps.get(0);
        assertEquals("Intel(r) AMT:PowerManagementCapabilities 0", c.get("InstanceID"));
        assertEquals("Power Management Capabilities", c.get("ElementName"));
        assertEquals(java.util.List.of(2L, 3L, 4L, 7L, 8L), c.get("PowerChangeCapabilities"));
        assertEquals(java.util.List.of(5L, 8L, 2L, 10L, 11L, 12L, 14L), c.get("RequestedPowerStatesSupported"));
        assertEquals(c.get("RequestedPowerStatesSupported"), c.get("PowerStatesSupported"));
        for (Object state : (java.util.List<?>) c.get("RequestedPowerStatesSupported")) {
            int s = ((Long) state).intValue();
            assertTrue(java.util.Arrays.stream(org.vamt.hypervisor.MachineState.values()).anyMatch(m -> PowerStates.possible(s, m)),
                    s + " is carried out in some state");
        }
    }

    @Test
    void associationOfRunningVmUnderBothClassNames() throws Exception {
        for (String className : List.of("CIM_AssociatedPowerManagementService", "CIM_ServiceAvailableToElement")) {
            CimInstance a = association(desktop01(), className);
            assertEquals("CIM_AssociatedPowerManagementService", a.className(), className);
            assertEquals(2L, a.get("PowerState"), className);
            assertEquals(AVAILABLE_WHEN_RUNNING, a.get("AvailableRequestedPowerStates"), className);
            assertEquals(AmtNames.managedSystem(), a.get("UserOfService"), className);
            assertEquals(servicePath(desktop01()), a.get("ServiceProvided"), className);
        }
    }

    @Test
    void associationOfShutOffVm() throws Exception {
        RequestContext ctx = ctx(BUILD_SERVER, "build-server");
        for (String className : List.of("CIM_AssociatedPowerManagementService", "CIM_ServiceAvailableToElement")) {
            CimInstance a = association(ctx, className);
            assertEquals(8L, a.get("PowerState"), className);
            assertEquals(List.of(2L), a.get("AvailableRequestedPowerStates"), className);
        }
    }

    // ---------------------------------------------------------------- RequestPowerStateChange

    @Test
    void softOffThenOn() throws Exception {
        assertEquals(0, request(desktop01(), 8));
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        assertEquals(8L, association(desktop01(), "CIM_AssociatedPowerManagementService").get("PowerState"));
        assertEquals(3L, provider.enumerateInstances(desktop01(), "CIM_ComputerSystem").get(0).get("EnabledState"));

        assertEquals(2, request(desktop01(), 8));   // already off: NOT_READY
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));

        assertEquals(0, request(desktop01(), 2));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(2L, association(desktop01(), "CIM_AssociatedPowerManagementService").get("PowerState"));

        assertEquals(2, request(desktop01(), 2));   // already on: NOT_READY
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void hardOffAndPowerStateAsText() throws Exception {
        assertEquals(0, request(desktop01(), "6"));   // WS-Management arguments arrive as text
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        assertEquals(0, request(desktop01(), "2"));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void powerOnStartsShutOffVm() throws Exception {
        RequestContext ctx = ctx(BUILD_SERVER, "build-server");
        assertEquals(0, request(ctx, 2));
        assertEquals(MachineState.RUNNING, state(BUILD_SERVER));
        assertEquals(AVAILABLE_WHEN_RUNNING,
                association(ctx, "CIM_ServiceAvailableToElement").get("AvailableRequestedPowerStates"));
    }

    @Test
    void resetRunningVm() throws Exception {
        assertEquals(0, request(desktop01(), 10));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    /** What IPS_HostBootReason (vamt-provider-alarm) reads: the last remote (re)boot and the state it left. */
    @Test
    void remotePowerOnsAreRecordedForTheBootReason() throws Exception {
        org.vamt.hypervisor.state.StateStore<org.vamt.provider.power.RemotePowerOn> store =
                new org.vamt.hypervisor.state.StateStore<>(demo.hypervisor(), org.vamt.provider.power.RemotePowerOn.STATE);
        assertEquals(org.vamt.provider.power.RemotePowerOn.NEVER, store.get(BUILD_SERVER));
        long before = System.currentTimeMillis();
        assertEquals(0, request(ctx(BUILD_SERVER, "build-server"), 2));
        org.vamt.provider.power.RemotePowerOn on = store.get(BUILD_SERVER);
        assertTrue(on.atMillis() >= before && on.atMillis() <= System.currentTimeMillis(), on.toString());
        assertEquals(org.vamt.provider.power.RemotePowerOn.S5, on.previousSxState(), "powered on from off: S5");

        assertEquals(0, request(desktop01(), 10));
        assertEquals(org.vamt.provider.power.RemotePowerOn.S0, store.get(DESKTOP_01).previousSxState(), "reset: S0");
        assertEquals(0, request(desktop01(), 8));
        long offAt = store.get(DESKTOP_01).atMillis();
        assertEquals(2, request(desktop01(), 10), "a reset of a VM that is off is refused");
        assertEquals(offAt, store.get(DESKTOP_01).atMillis(), "an off or a refused request records nothing");
    }

    @Test
    void resetShutOffVmIsNotReady() throws Exception {
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 10));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
    }

    @Test
    void powerCycleStopsAndStartsTheVm() throws Exception {
        assertEquals(0, request(desktop01(), 5));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED));
    }

    @Test
    void powerCycleOfShutOffVmIsNotReady() throws Exception {
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 5));
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 9));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
    }

    @Test
    void gracefulOffTurnsTestDomainOff() throws Exception {
        assertEquals(0, request(ctx(KIOSK, "kiosk"), 12));   // the test driver's guest obeys ACPI at once
        assertEquals(MachineState.SHUT_OFF, state(KIOSK));
        assertEquals(2, request(ctx(KIOSK, "kiosk"), 12));
    }

    @Test
    void gracefulResetKeepsVmRunning() throws Exception {
        assertEquals(0, request(desktop01(), 14));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void unknownStatesAreNotReadyAndChangeNothing() throws Exception {
        for (int unknown : new int[] {0, 1, 3, 17, 99, 65535}) {
            assertEquals(2, request(desktop01(), unknown), "PowerState " + unknown);
            assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), unknown), "PowerState " + unknown);
        }
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
    }

    @Test
    void sleepAndHibernateAreNotReadyWhenTheGuestCannotSuspend() throws Exception {
        // the test driver refuses PM suspend (as without a guest agent): UNSUPPORTED -> 2, nothing changes
        assertEquals(2, request(desktop01(), 4));
        assertEquals(2, request(desktop01(), 7));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        // not possible while off or paused either
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 4));
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 7));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
        TestDriverAccess.pause(demo, DESKTOP_01);
        assertEquals(2, request(desktop01(), 4));
        assertEquals(2, request(desktop01(), 7));
        assertEquals(MachineState.PAUSED, state(DESKTOP_01));
    }

    @Test
    void powerOnResumesPausedVm() throws Exception {
        TestDriverAccess.pause(demo, DESKTOP_01);
        assertEquals(MachineState.PAUSED, state(DESKTOP_01));
        CimInstance a = association(desktop01(), "CIM_AssociatedPowerManagementService");
        assertEquals(4L, a.get("PowerState"));
        assertEquals(List.of(2L, 8L, 10L), a.get("AvailableRequestedPowerStates"));
        assertEquals(0, request(desktop01(), 2));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(AVAILABLE_WHEN_RUNNING,
                association(desktop01(), "CIM_AssociatedPowerManagementService").get("AvailableRequestedPowerStates"));
    }

    @Test
    void diagnosticInterruptOnRunningVm() throws Exception {
        assertEquals(0, request(desktop01(), 11));   // the test driver accepts virDomainInjectNMI
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 11));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
    }

    @Test
    void resetWithoutBootDeviceDoesNotStopTheVm() throws Exception {
        assertEquals(0, request(desktop01(), 10));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(List.of(), eventsBeforeMarker(DESKTOP_01), "neither stopped nor started");
    }

    @Test
    void resetWithPendingBootDeviceIsPowerOffAndOn() throws Exception {
        demo.hypervisor().setNextBootDevice(DESKTOP_01, BootDevice.NETWORK);
        assertEquals(Optional.of(BootDevice.NETWORK), demo.hypervisor().nextBootDevice(DESKTOP_01));
        assertEquals(0, request(desktop01(), 10));
        assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(Optional.empty(), demo.hypervisor().nextBootDevice(DESKTOP_01), "used by the start");
    }

    @Test
    void powerCyclesWithPendingBootDeviceStartTheVmWithIt() throws Exception {
        for (int cycle : new int[] {5, 9}) {
            demo.hypervisor().setNextBootDevice(DESKTOP_01, BootDevice.CDROM);
            assertEquals(0, request(desktop01(), cycle));
            assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                    demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED), "" + cycle);
            assertEquals(MachineState.RUNNING, state(DESKTOP_01));
            assertEquals(Optional.empty(), demo.hypervisor().nextBootDevice(DESKTOP_01), "used by " + cycle);
        }
    }

    @Test
    void gracefulResetWithoutBootDeviceIsAGuestReboot() throws Exception {
        assertEquals(0, request(desktop01(), 14));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(List.of(), eventsBeforeMarker(DESKTOP_01), "the test driver reboots in place");
    }

    @Test
    void gracefulResetWithPendingBootDeviceShutsDownAndStarts() throws Exception {
        demo.hypervisor().setNextBootDevice(DESKTOP_01, BootDevice.NETWORK);
        assertEquals(0, request(desktop01(), 14));
        assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(Optional.empty(), demo.hypervisor().nextBootDevice(DESKTOP_01));
    }

    // ---------------------------------------------------------------- graceful requests with a follow-up

    @Test
    void gracefulHardOffOfACompliantGuest() throws Exception {
        assertEquals(0, request(desktop01(), 13));
        assertEquals(List.of(MachineEvent.Type.STOPPED), demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED));
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        Thread.sleep(TIMEOUT.toMillis() + 200);   // nothing more happens at the deadline
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        assertEquals(List.of(MachineEvent.Type.STOPPED), eventsBeforeMarker(DESKTOP_01), "not started again");
        assertEquals(2, request(desktop01(), 13));
    }

    @Test
    void gracefulPowerCyclesOfACompliantGuest() throws Exception {
        for (int cycle : new int[] {15, 16}) {
            assertEquals(0, request(desktop01(), cycle), "" + cycle);
            assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                    demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED), "" + cycle);
            assertEquals(MachineState.RUNNING, state(DESKTOP_01), "" + cycle);
        }
    }

    @Test
    void gracefulPowerCycleStartsWithThePendingBootDevice() throws Exception {
        demo.hypervisor().setNextBootDevice(DESKTOP_01, BootDevice.HARD_DISK);
        assertEquals(0, request(desktop01(), 15));
        assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED));
        assertEquals(Optional.empty(), demo.hypervisor().nextBootDevice(DESKTOP_01));
    }

    @Test
    void gracefulRequestsOfAShutOffVmAreNotReady() throws Exception {
        RequestContext ctx = ctx(BUILD_SERVER, "build-server");
        for (int graceful : new int[] {12, 13, 14, 15, 16}) {
            assertEquals(2, request(ctx, graceful), "" + graceful);
        }
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
    }

    @Test
    void ignoredShutdownThenHardOff() throws Exception {
        // The follow-up of 13 without the ACPI request: to the provider, a guest that ignores it.
        long t0 = System.nanoTime();
        CompletableFuture<Step> f = provider.awaitPowerOff(DESKTOP_01, "desktop-01", 13);
        assertEquals(Step.FORCE_OFF, f.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 >= TIMEOUT.toNanos(), "waited for the timeout");
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        assertEquals(List.of(MachineEvent.Type.STOPPED), demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED));
    }

    @Test
    void ignoredShutdownThenHardPowerCycle() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<Step> f = provider.awaitPowerOff(DESKTOP_01, "desktop-01", 16);
        assertEquals(Step.FORCE_OFF_AND_START, f.get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 >= TIMEOUT.toNanos(), "waited for the timeout");
        assertEquals(List.of(MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED),
                demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED, MachineEvent.Type.STARTED));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void ignoredShutdownOfSoftPowerCycleLeavesTheGuestRunning() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<Step> f = provider.awaitPowerOff(DESKTOP_01, "desktop-01", 15);
        assertEquals(Step.GIVE_UP, f.get(5, TimeUnit.SECONDS));   // logged as WARN: the guest did not comply
        assertTrue(System.nanoTime() - t0 >= TIMEOUT.toNanos(), "waited for the timeout");
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(List.of(), eventsBeforeMarker(DESKTOP_01), "never stopped");
    }

    @Test
    void ignoredShutdownOfPausedGuest() throws Exception {
        TestDriverAccess.pause(demo, DESKTOP_01);
        assertEquals(Step.FORCE_OFF, provider.awaitPowerOff(DESKTOP_01, "desktop-01", 13).get(5, TimeUnit.SECONDS));
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
    }

    @Test
    void followUpOfAMachineThatIsGone() throws Exception {
        assertEquals(Step.GONE, provider.awaitPowerOff(UNKNOWN, "ghost", 16).get(5, TimeUnit.SECONDS));
    }

    @Test
    void followUpReactsToTheLifecycleEvent() throws Exception {
        // A provider with a long timeout that is not bound as a listener: only the event we hand it
        // (or the deadline, far away) can complete the follow-up.
        PowerProvider unbound = new PowerProvider(demo.hypervisor(), Duration.ofSeconds(60));
        try {
            CompletableFuture<Step> f = unbound.awaitPowerOff(DESKTOP_01, "desktop-01", 15);
            Thread.sleep(200);   // the immediate check has seen a running guest
            demo.hypervisor().shutdown(DESKTOP_01);
            assertEquals(List.of(MachineEvent.Type.STOPPED), demo.awaitEvents(DESKTOP_01, MachineEvent.Type.STOPPED));
            Thread.sleep(300);
            assertFalse(f.isDone(), "no event heard, deadline far away");
            assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
            unbound.machineChanged(new MachineEvent(DESKTOP_01, "desktop-01", MachineEvent.Type.STOPPED));
            assertEquals(Step.START, f.get(5, TimeUnit.SECONDS));
            assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        } finally {
            unbound.deactivate();
        }

        // Bound as a listener, a provider hears the driver's own event.
        PowerProvider bound = new PowerProvider(demo.hypervisor(), Duration.ofSeconds(60));
        TestDriverAccess.addMachineListener(demo, bound);
        try {
            CompletableFuture<Step> f = bound.awaitPowerOff(DESKTOP_01, "desktop-01", 16);
            Thread.sleep(200);
            demo.hypervisor().shutdown(DESKTOP_01);
            assertEquals(Step.START, f.get(5, TimeUnit.SECONDS), "well before the 60 s timeout");
            assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        } finally {
            bound.deactivate();
        }
    }

    @Test
    void aLaterRequestReplacesThePendingFollowUp() throws Exception {
        PowerProvider slow = new PowerProvider(demo.hypervisor(), Duration.ofSeconds(60));
        TestDriverAccess.addMachineListener(demo, slow);
        try {
            CompletableFuture<Step> f = slow.awaitPowerOff(DESKTOP_01, "desktop-01", 15);
            Map<String, Object> args = Map.of("PowerState", 8L, "ManagedElement", AmtNames.managedSystem());
            assertEquals(0L, slow.invokeMethod(desktop01(), servicePath(desktop01()), "RequestPowerStateChange", args)
                    .returnValue());
            assertTrue(f.isCancelled());
            assertEquals(List.of(MachineEvent.Type.STOPPED), eventsBeforeMarker(DESKTOP_01), "not started again");
            assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
        } finally {
            slow.deactivate();
        }
    }

    @Test
    void aFailedRequestKeepsThePendingFollowUp() throws Exception {
        CompletableFuture<Step> f = provider.awaitPowerOff(DESKTOP_01, "desktop-01", 13);
        assertEquals(2, request(desktop01(), 4));   // refused by the test driver
        assertEquals(2, request(desktop01(), 2));   // not possible while on: not even tried
        assertEquals(Step.FORCE_OFF, f.get(5, TimeUnit.SECONDS));
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
    }

    @Test
    void deactivationAbandonsPendingFollowUps() throws Exception {
        CompletableFuture<Step> f = provider.awaitPowerOff(DESKTOP_01, "desktop-01", 16);
        provider.deactivate();
        assertTrue(f.isCancelled());
        Thread.sleep(TIMEOUT.toMillis() + 200);
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertTrue(provider.awaitPowerOff(DESKTOP_01, "desktop-01", 16).isCancelled(), "no scheduler any more");
    }

    @Test
    void timeoutComesFromTheConfiguration() throws Exception {
        assertEquals(120L, PowerProvider.Config.class.getMethod("gracefulTimeoutSeconds").getDefaultValue());
        for (long[] c : new long[][] {{7, 7}, {0, 1}, {-5, 1}}) {
            PowerProvider p = new PowerProvider(demo.hypervisor(), config(c[0]));
            try {
                assertEquals(Duration.ofSeconds(c[1]), p.gracefulTimeout(), "gracefulTimeoutSeconds=" + c[0]);
            } finally {
                p.deactivate();
            }
        }
    }

    @Test
    void powerStateOutsideUint16IsRejectedNotTruncated() throws Exception {
        // 2^32 + 8 would become 8 (soft off) if cast to int
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> request(desktop01(), 4_294_967_304L)));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> request(desktop01(), "4294967304")));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> request(desktop01(), -1)));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> request(desktop01(), 65536)));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void missingOrMalformedPowerState() throws Exception {
        CimObjectPath service = servicePath(desktop01());
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> provider.invokeMethod(desktop01(), service,
                "RequestPowerStateChange", Map.of("ManagedElement", AmtNames.managedSystem()))));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> provider.invokeMethod(desktop01(), service,
                "RequestPowerStateChange", Map.of())));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> request(desktop01(), "off")));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void managedElementMustBeTheManagedSystem() throws Exception {
        CimObjectPath service = servicePath(desktop01());
        CimObjectPath amt = new CimObjectPath("CIM_ComputerSystem",
                Map.of("CreationClassName", "CIM_ComputerSystem", "Name", "Intel(r) AMT"));
        for (Object element : List.of(amt, "ManagedSystem", service)) {
            Map<String, Object> args = Map.of("PowerState", "8", "ManagedElement", element);
            assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> provider.invokeMethod(desktop01(), service,
                    "RequestPowerStateChange", args)), String.valueOf(element));
        }
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        // without ManagedElement the request is about the VM itself
        assertEquals(0, provider.invokeMethod(desktop01(), service, "RequestPowerStateChange",
                Map.of("PowerState", "8")).returnValue());
        assertEquals(MachineState.SHUT_OFF, state(DESKTOP_01));
    }

    @Test
    void unknownVmIsNotFound() throws Exception {
        RequestContext ghost = ctx(UNKNOWN, "ghost");
        CimObjectPath service = servicePath(desktop01());
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> provider.invokeMethod(ghost, service,
                "RequestPowerStateChange", Map.of("PowerState", 2L, "ManagedElement", AmtNames.managedSystem()))));
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> provider.enumerateInstances(ghost, "CIM_ComputerSystem")));
        assertEquals(CimStatus.NOT_FOUND,
                statusOf(() -> provider.enumerateInstances(ghost, "CIM_AssociatedPowerManagementService")));
    }

    @Test
    void otherMethodsAreNotAvailable() throws Exception {
        CimObjectPath service = servicePath(desktop01());
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> provider.invokeMethod(desktop01(), service,
                "RequestStateChange", Map.of("RequestedState", 3L))));
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> provider.invokeMethod(desktop01(),
                AmtNames.managedSystem(), "RequestPowerStateChange", Map.of("PowerState", 8L))));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
    }

    @Test
    void osPowerStateIsReportedOnlyWhileTheVmRuns() throws Exception {
        CimInstance on = provider.enumerateInstances(desktop01(), "IPS_PowerManagementService").get(0);
        assertEquals(2L, on.get("OSPowerSavingState"));
        RequestContext off = ctx(BUILD_SERVER, "build-server");
        CimInstance offService = provider.enumerateInstances(off, "IPS_PowerManagementService").get(0);
        assertEquals(null, offService.get("OSPowerSavingState"), "real AMT omits it while the host is off");
        CimObjectPath ips = on.path();
        assertEquals(0L, provider.invokeMethod(desktop01(), ips, "RequestOSPowerSavingStateChange",
                Map.of("OSPowerSavingState", 2L)).returnValue());
        assertEquals(2L, provider.invokeMethod(off, offService.path(), "RequestOSPowerSavingStateChange",
                Map.of("OSPowerSavingState", 2L)).returnValue());
        assertEquals(2L, provider.invokeMethod(desktop01(), ips, "RequestOSPowerSavingStateChange",
                Map.of("OSPowerSavingState", 3L)).returnValue(), "a guest cannot be forced into modern standby");
    }
}
