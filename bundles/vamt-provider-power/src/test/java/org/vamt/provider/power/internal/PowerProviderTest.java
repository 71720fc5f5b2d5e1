package org.vamt.provider.power.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.support.AmtNames;

/** PowerProvider against libvirt's test driver loaded with the demo machines. */
class PowerProviderTest {
    private static final List<Long> AVAILABLE_WHEN_RUNNING = List.of(10L, 8L, 5L, 6L, 9L, 12L, 14L);

    private DemoHypervisor demo;
    private PowerProvider provider;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new PowerProvider(demo.hypervisor());
    }

    @AfterEach
    void stop() {
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
    void unsupportedStatesAreNotReadyAndChangeNothing() throws Exception {
        for (int unsupported : new int[] {4, 7, 11, 13, 15, 0, 99, 65535}) {
            assertEquals(2, request(desktop01(), unsupported), "PowerState " + unsupported);
        }
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        assertEquals(2, request(ctx(BUILD_SERVER, "build-server"), 4));
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
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
