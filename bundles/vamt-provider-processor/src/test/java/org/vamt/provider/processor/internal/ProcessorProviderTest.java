package org.vamt.provider.processor.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_02;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;

/** ProcessorProvider against libvirt's test driver loaded with the demo machines. */
class ProcessorProviderTest {
    private DemoHypervisor demo;
    private ProcessorProvider provider;
    private CimProcessorProvider cimProcessors;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new ProcessorProvider(demo.hypervisor());
        cimProcessors = new CimProcessorProvider(demo.hypervisor());
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

    private static RequestContext buildServer() {
        return ctx(BUILD_SERVER, "build-server");
    }

    private MachineInfo vm(String uuid) throws Exception {
        return demo.hypervisor().machine(uuid).orElseThrow();
    }

    private long enable(RequestContext ctx, Object number, Object enabled) throws CimException {
        return provider.invokeMethod(ctx, CimObjectPath.of("Processor", "Number", number), "Enable",
                Map.of("Enabled", enabled)).returnValue();
    }

    private List<Object> column(RequestContext ctx, String className, String property) throws CimException {
        return providerFor(className).enumerateInstances(ctx, className).stream().map(i -> i.get(property))
                .collect(Collectors.toList());
    }

    private org.vamt.cim.spi.CimProvider providerFor(String className) {
        return className.toLowerCase(java.util.Locale.ROOT).startsWith("cim_") ? cimProcessors : provider;
    }

    private static CimStatus statusOf(Executable e) {
        return assertThrows(CimException.class, e).status();
    }

    /** Live and persistent online counts of a running VM, straight from libvirt. */
    private void assertOnline(String uuid, int expected) throws Exception {
        assertEquals(expected, vm(uuid).onlineVcpus(), "SPI");
        assertEquals(expected, demo.vcpus(uuid, true), "libvirt live");
        assertEquals(expected, demo.vcpus(uuid, false), "libvirt config");
    }

    // ---------------------------------------------------------------- enumeration

    @Test
    void processorsOfRunningVm() throws Exception {
        List<CimInstance> list = provider.enumerateInstances(desktop01(), "Processor");
        assertEquals(4, list.size());
        assertEquals(List.of(0L, 1L, 2L, 3L), column(desktop01(), "Processor", "Number"));
        assertEquals(List.of(2L, 2L, 3L, 3L), column(desktop01(), "Processor", "EnabledState"));
        assertEquals(List.of("vCPU 0", "vCPU 1", "vCPU 2", "vCPU 3"), column(desktop01(), "Processor", "ElementName"));
        CimInstance first = list.get(0);
        assertEquals("Processor", first.className());
        assertEquals(CimObjectPath.of("Processor", "Number", 0L), first.path());
    }

    @Test
    void processorsOfOtherVms() throws Exception {
        assertEquals(List.of(2L, 3L), column(ctx(DESKTOP_02, "desktop-02"), "Processor", "EnabledState"));
        assertEquals(List.of(2L), column(ctx(KIOSK, "kiosk"), "Processor", "EnabledState"));
        assertEquals(List.of(2L, 2L, 2L, 2L, 3L, 3L, 3L, 3L), column(buildServer(), "processor", "EnabledState"));
    }

    @Test
    void cimProcessorsOfRunningVm() throws Exception {
        List<CimInstance> list = cimProcessors.enumerateInstances(desktop01(), "CIM_Processor");
        assertEquals(4, list.size());
        assertEquals(List.of("CPU 0", "CPU 1", "CPU 2", "CPU 3"), column(desktop01(), "CIM_Processor", "DeviceID"));
        assertEquals(List.of(2L, 2L, 3L, 3L), column(desktop01(), "CIM_Processor", "EnabledState"));
        assertEquals(List.of(1L, 1L, 2L, 2L), column(desktop01(), "CIM_Processor", "CPUStatus"));
        CimInstance first = list.get(0);
        assertEquals("CIM_Processor", first.className());
        assertEquals("CIM_Processor", first.get("CreationClassName"));
        assertEquals("CIM_ComputerSystem", first.get("SystemCreationClassName"));
        assertEquals("ManagedSystem", first.get("SystemName"));
        assertEquals(4, first.keyNames().size());
    }

    /** The host's clock (the demo file's node: 2400 MHz; its SMBIOS tells nothing more). */
    @Test
    void cimProcessorClocksAreTheHostsWhetherTheVmRunsOrNot() throws Exception {
        for (CimInstance p : List.of(cimProcessors.enumerateInstances(desktop01(), "CIM_Processor").get(0),
                cimProcessors.enumerateInstances(buildServer(), "CIM_Processor").get(7))) {
            assertEquals(2400L, p.get("CurrentClockSpeed"));
            assertEquals(2400L, p.get("MaxClockSpeed"));
            assertEquals(100L, p.get("ExternalBusClockSpeed"));
            assertEquals("", p.get("Stepping"));
            assertEquals(1L, p.get("UpgradeMethod"));
            assertEquals("", p.get("OtherFamilyDescription"));
        }
    }

    @Test
    void cimProcessorsOfShutOffVm() throws Exception {
        assertEquals(8, cimProcessors.enumerateInstances(buildServer(), "cim_processor").size());
        assertEquals(List.of(2L, 2L, 2L, 2L, 3L, 3L, 3L, 3L), column(buildServer(), "CIM_Processor", "EnabledState"));
        // CPUStatus unknown while the host is off
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L), column(buildServer(), "CIM_Processor", "CPUStatus"));
    }

    @Test
    void unknownVmIsNotFound() {
        RequestContext ghost = ctx(UNKNOWN, "ghost");
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> provider.enumerateInstances(ghost, "Processor")));
        assertEquals(CimStatus.NOT_FOUND, statusOf(() -> enable(ghost, 1L, true)));
    }

    // ---------------------------------------------------------------- Enable

    @Test
    void enableNextVcpuHotplugsIt() throws Exception {
        assertEquals(0, enable(desktop01(), 2L, true));
        assertOnline(DESKTOP_01, 3);
        assertEquals(MachineState.RUNNING, vm(DESKTOP_01).state());
        assertEquals(List.of(2L, 2L, 2L, 3L), column(desktop01(), "Processor", "EnabledState"));
    }

    @Test
    void numberAsTextFromASelector() throws Exception {
        // Called directly, a key may still be text as it came from a selector; the provider accepts it.
        assertEquals(0, enable(desktop01(), "2", true));
        assertOnline(DESKTOP_01, 3);
        assertEquals(0, enable(desktop01(), "2", false));
        assertOnline(DESKTOP_01, 2);
    }

    @Test
    void enableHigherVcpuBringsUpThoseBelowIt() throws Exception {
        assertEquals(0, enable(desktop01(), 3L, true));
        assertOnline(DESKTOP_01, 4);
    }

    @Test
    void enableOnlineVcpuChangesNothing() throws Exception {
        assertEquals(0, enable(desktop01(), 0L, true));
        assertEquals(0, enable(desktop01(), 1L, true));
        assertOnline(DESKTOP_01, 2);
    }

    @Test
    void enableBeyondMaximumIsNotPossible() throws Exception {
        assertEquals(2, enable(desktop01(), 4L, true));
        assertEquals(2, enable(ctx(KIOSK, "kiosk"), 1L, true));
        assertOnline(DESKTOP_01, 2);
        assertOnline(KIOSK, 1);
    }

    @Test
    void disableHighestOnlineVcpuUnplugsIt() throws Exception {
        assertEquals(0, enable(desktop01(), 1L, false));
        assertOnline(DESKTOP_01, 1);
        assertEquals(List.of(2L, 3L, 3L, 3L), column(desktop01(), "Processor", "EnabledState"));
    }

    @Test
    void disableVcpuZeroIsNotPossible() throws Exception {
        assertEquals(2, enable(desktop01(), 0L, false));
        assertOnline(DESKTOP_01, 2);
        // also when it is the only (and so the highest) online vCPU
        assertEquals(2, enable(ctx(KIOSK, "kiosk"), 0L, false));
        assertOnline(KIOSK, 1);
        assertEquals(2, enable(ctx(DESKTOP_02, "desktop-02"), 0L, false));
        assertOnline(DESKTOP_02, 1);
    }

    @Test
    void disableMiddleVcpuIsNotPossibleAndChangesNothing() throws Exception {
        assertEquals(0, enable(desktop01(), 3L, true));
        assertOnline(DESKTOP_01, 4);
        assertEquals(2, enable(desktop01(), 1L, false));
        assertEquals(2, enable(desktop01(), 2L, false));
        assertOnline(DESKTOP_01, 4);
        assertEquals(List.of(2L, 2L, 2L, 2L), column(desktop01(), "Processor", "EnabledState"));
    }

    @Test
    void disableAlreadyDisabledVcpuSucceedsWithoutChange() throws Exception {
        assertEquals(0, enable(desktop01(), 3L, false));
        assertOnline(DESKTOP_01, 2);
    }

    @Test
    void shutOffVmChangesConfiguredCount() throws Exception {
        assertEquals(0, enable(buildServer(), 5L, true));
        MachineInfo vm = vm(BUILD_SERVER);
        assertEquals(MachineState.SHUT_OFF, vm.state());
        assertEquals(6, vm.onlineVcpus());
        assertEquals(6, demo.vcpus(BUILD_SERVER, false));
        assertEquals(List.of(2L, 2L, 2L, 2L, 2L, 2L, 3L, 3L), column(buildServer(), "Processor", "EnabledState"));
        assertEquals(0, enable(buildServer(), 5L, false));
        assertEquals(5, demo.vcpus(BUILD_SERVER, false));
        assertEquals(2, enable(buildServer(), 1L, false));   // a middle vCPU, off or not
        assertEquals(5, demo.vcpus(BUILD_SERVER, false));
        // the count survives a start
        demo.hypervisor().powerOn(BUILD_SERVER);
        assertEquals(5, vm(BUILD_SERVER).onlineVcpus());
    }

    /**
     * A disable the hypervisor could only write to the configuration (vCPU unplug under QEMU/TCG):
     * the vCPU still runs, so it is reported enabled, with RequestedState 3 until the power cycle.
     */
    @Test
    void aDisablePendingUntilThePowerCycleIsReportedAsRequestedNotDone() throws Exception {
        demo.setNextStartVcpus(DESKTOP_01, 1);
        assertEquals(List.of(2L, 2L, 3L, 3L), column(desktop01(), "Processor", "EnabledState"));
        assertEquals(java.util.Arrays.asList(null, 3L, null, null), column(desktop01(), "Processor", "RequestedState"));
        assertEquals(List.of(2L, 2L, 3L, 3L), column(desktop01(), "CIM_Processor", "EnabledState"));
        assertEquals(List.of(12L, 3L, 12L, 12L), column(desktop01(), "CIM_Processor", "RequestedState"));
        // Enable(true) on the vCPU that still runs cancels the pending disable
        assertEquals(0, enable(desktop01(), 1L, true));
        assertOnline(DESKTOP_01, 2);
        assertEquals(java.util.Arrays.asList(null, null, null, null), column(desktop01(), "Processor", "RequestedState"));
        assertEquals(List.of(12L, 12L, 12L, 12L), column(desktop01(), "CIM_Processor", "RequestedState"));
    }

    @Test
    void anEnablePendingUntilThePowerCycleIsReportedAsRequested() throws Exception {
        demo.setNextStartVcpus(DESKTOP_01, 3);
        assertEquals(java.util.Arrays.asList(null, null, 2L, null), column(desktop01(), "Processor", "RequestedState"));
        assertEquals(List.of(2L, 2L, 3L, 3L), column(desktop01(), "Processor", "EnabledState"));
    }

    @Test
    void missingOrMalformedEnabled() throws Exception {
        CimObjectPath cpu2 = CimObjectPath.of("Processor", "Number", 2L);
        assertEquals(CimStatus.INVALID_PARAMETER,
                statusOf(() -> provider.invokeMethod(desktop01(), cpu2, "Enable", Map.of())));
        // Argument types ("yes" for a boolean) are checked by the CIMOM against the MOF before any provider runs.
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> enable(desktop01(), "two", true)));
        assertEquals(CimStatus.INVALID_PARAMETER, statusOf(() -> provider.invokeMethod(desktop01(),
                CimObjectPath.of("Processor"), "Enable", Map.of("Enabled", true))));
        assertOnline(DESKTOP_01, 2);
    }

    @Test
    void otherMethodsAreNotAvailable() {
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> provider.invokeMethod(desktop01(),
                CimObjectPath.of("Processor", "Number", 2L), "Disable", Map.of("Enabled", true))));
        assertEquals(CimStatus.METHOD_NOT_AVAILABLE, statusOf(() -> provider.invokeMethod(desktop01(),
                CimObjectPath.of("CIM_Processor", "DeviceID", "CPU 2"), "Enable", Map.of("Enabled", true))));
    }
}
