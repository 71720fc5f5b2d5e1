package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineEvent.Type;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;

/** Every Hypervisor method and event kind against libvirt's real test driver (src/test/resources/test-node.xml). */
class LibvirtHypervisorTest {
    static final String ALPHA = "aaaaaaaa-0000-4000-8000-000000000001";   // running, 2/4 vCPUs, 1 GiB
    static final String BETA = "aaaaaaaa-0000-4000-8000-000000000002";    // shut off, 1/2 vCPUs, 512 MiB
    static final String GAMMA = "aaaaaaaa-0000-4000-8000-000000000003";   // paused, 1/1 vCPU, 256 MiB
    static final String UNKNOWN = "0badc0de-0000-4000-8000-000000000000";

    private LibvirtHypervisor hv;
    private TestSupport.Recorder events;

    @BeforeEach
    void activate() throws Exception {
        hv = new LibvirtHypervisor();
        events = new TestSupport.Recorder();
        hv.addMachineListener(events);
        hv.activate(TestSupport.config(TestSupport.testUri("/test-node.xml")));
    }

    @AfterEach
    void deactivate() {
        hv.deactivate();
    }

    private MachineInfo get(String uuid) throws HypervisorException {
        return hv.machine(uuid).orElseThrow();
    }

    private static Reason reasonOf(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(HypervisorException.class, e).reason();
    }

    /** Raw libvirt call on the component's shared connection, for what the SPI does not offer. */
    private <T> T raw(String uuid, LibvirtConnection.Call<T> call) throws HypervisorException {
        return hv.connection().call("test", uuid, call);
    }

    private int vcpus(String uuid, int flags) throws HypervisorException {
        return raw(uuid, c -> NativeVirt.vcpus(c, uuid, flags));
    }

    // ---------------------------------------------------------------- inventory

    @Test
    void listsMachinesWithStateVcpusAndMemory() throws Exception {
        List<MachineInfo> machines = hv.listMachines();
        assertEquals(List.of("alpha", "beta", "gamma"), machines.stream().map(MachineInfo::name).collect(Collectors.toList()));
        // the file has ALPHA's UUID in upper case: the SPI must answer in canonical lower case
        assertEquals(new MachineInfo(ALPHA, "alpha", MachineState.RUNNING, 2, 4, 1024 * 1024), machines.get(0));
        assertEquals(new MachineInfo(BETA, "beta", MachineState.SHUT_OFF, 1, 2, 512 * 1024), machines.get(1));
        assertEquals(new MachineInfo(GAMMA, "gamma", MachineState.PAUSED, 1, 1, 256 * 1024), machines.get(2));
    }

    @Test
    void listsMachineIdsInCanonicalCaseSortedByName() throws Exception {
        // the same machines as the full listing, from one call: ALPHA's upper-case UUID comes back lower case
        assertEquals(List.of(new MachineId(ALPHA, "alpha"), new MachineId(BETA, "beta"), new MachineId(GAMMA, "gamma")),
                hv.listMachineIds());
    }

    @Test
    void machineByUuidInAnySpelling() throws Exception {
        assertEquals("alpha", get(ALPHA).name());
        assertEquals(ALPHA, get(ALPHA.toUpperCase()).uuid());
        assertEquals(ALPHA, get(ALPHA.replace("-", "")).uuid());
        assertTrue(hv.machine(UNKNOWN).isEmpty());
        assertTrue(hv.machine("not-a-uuid").isEmpty());
        assertTrue(hv.machine(null).isEmpty());
    }

    @Test
    void definitionXml() throws Exception {
        String xml = hv.definitionXml(ALPHA);
        assertTrue(xml.contains("<name>alpha</name>"), xml);
        assertTrue(xml.contains("<uuid>" + ALPHA + "</uuid>"), xml);
        assertTrue(xml.contains("52:54:00:00:00:01"), xml);
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.definitionXml(UNKNOWN)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.definitionXml("nope")));
    }

    @Test
    void hardwareOfAMinimalDefinition() throws Exception {
        // alpha has no <sysinfo>, <cpu>, <loader> or disks, and a NIC without a model
        assertEquals(new org.vamt.hypervisor.MachineHardware(
                new org.vamt.hypervisor.MachineHardware.Firmware("SeaBIOS", null, null, false), null, null, null,
                new org.vamt.hypervisor.MachineHardware.Cpu(null, null, 4, 1, 1, 2000), 1024 * 1024, List.of(),
                List.of(new org.vamt.hypervisor.MachineHardware.Nic("52:54:00:00:00:01", null, "default", true))),
                hv.hardware(ALPHA));
        assertEquals(new org.vamt.hypervisor.MachineHardware.Cpu(null, null, 1, 1, 1, 2000), hv.hardware(GAMMA).cpu());
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.hardware(UNKNOWN)));
    }

    // ---------------------------------------------------------------- power

    @Test
    void powerOnStartsShutOffMachine() throws Exception {
        hv.powerOn(BETA);
        assertEquals(MachineState.RUNNING, get(BETA).state());
        events.await(BETA, Type.STARTED);
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.powerOn(BETA)));
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.powerOn(ALPHA)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.powerOn(UNKNOWN)));
    }

    @Test
    void powerOnResumesPausedMachine() throws Exception {
        hv.powerOn(GAMMA);
        assertEquals(MachineState.RUNNING, get(GAMMA).state());
        events.await(GAMMA, Type.RESUMED);
    }

    @Test
    void powerOffDestroys() throws Exception {
        hv.powerOff(ALPHA);
        assertEquals(MachineState.SHUT_OFF, get(ALPHA).state());
        events.await(ALPHA, Type.STOPPED);
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.powerOff(ALPHA)));
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.powerOff(BETA)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.powerOff(UNKNOWN)));
        // a paused machine can be powered off too
        hv.powerOff(GAMMA);
        assertEquals(MachineState.SHUT_OFF, get(GAMMA).state());
    }

    @Test
    void shutdownTurnsTestDomainOff() throws Exception {
        hv.shutdown(ALPHA);   // the test driver "guest" obeys ACPI at once
        assertEquals(MachineState.SHUT_OFF, get(ALPHA).state());
        events.await(ALPHA, Type.STOPPED);
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.shutdown(ALPHA)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.shutdown(UNKNOWN)));
    }

    @Test
    void rebootAndResetKeepMachineRunning() throws Exception {
        hv.reboot(ALPHA);
        assertEquals(MachineState.RUNNING, get(ALPHA).state());
        hv.reset(ALPHA);
        assertEquals(MachineState.RUNNING, get(ALPHA).state());
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.reboot(BETA)));
        assertEquals(Reason.INVALID_STATE, reasonOf(() -> hv.reset(BETA)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.reset(UNKNOWN)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.reboot(UNKNOWN)));
        // the test driver sends no lifecycle event for reboot or reset
        List<MachineEvent> after = events.drain(300);
        assertTrue(after.isEmpty(), after.toString());
    }

    // ---------------------------------------------------------------- vCPUs

    @Test
    void setOnlineVcpusOnRunningMachineChangesLiveAndConfig() throws Exception {
        hv.setOnlineVcpus(ALPHA, 4);
        assertEquals(4, get(ALPHA).onlineVcpus());
        assertEquals(4, vcpus(ALPHA, NativeVirt.AFFECT_LIVE));
        assertEquals(4, vcpus(ALPHA, NativeVirt.AFFECT_CONFIG));
        hv.setOnlineVcpus(ALPHA, 1);   // unplug works in the test driver (not under QEMU/TCG)
        assertEquals(1, get(ALPHA).onlineVcpus());
        assertEquals(1, vcpus(ALPHA, NativeVirt.AFFECT_CONFIG));
        // still counts after a power cycle
        hv.powerOff(ALPHA);
        assertEquals(1, get(ALPHA).onlineVcpus());
        hv.powerOn(ALPHA);
        assertEquals(1, get(ALPHA).onlineVcpus());
    }

    @Test
    void aConfigurationOnlyVcpuChangeIsReportedAsPendingUntilThePowerCycle() throws Exception {
        // what vAMT leaves behind for a vCPU unplug under QEMU/TCG: the configuration only
        raw(ALPHA, c -> {
            c.domainLookupByUUIDString(ALPHA).setVcpusFlags(1, NativeVirt.AFFECT_CONFIG);
            return null;
        });
        MachineInfo pending = get(ALPHA);
        assertEquals(2, pending.onlineVcpus());
        assertEquals(1, pending.nextStartVcpus());
        assertTrue(pending.vcpuChangePending(1));
        assertFalse(pending.vcpuChangePending(0));
        // asking for the live count again makes the configuration agree, without touching the live vCPUs
        hv.setOnlineVcpus(ALPHA, 2);
        assertEquals(2, vcpus(ALPHA, NativeVirt.AFFECT_CONFIG));
        assertFalse(get(ALPHA).vcpuChangePending(1));
        MachineInfo off = get(BETA);
        assertEquals(off.onlineVcpus(), off.nextStartVcpus(), "a shut-off machine has nothing pending");
    }

    @Test
    void emulatedQemuDomainsAreRecognizedByTheirType() {
        assertTrue(LibvirtHypervisor.isEmulatedDefinition("<domain type='qemu' id='3'>\n  <name>a</name>"));
        assertTrue(LibvirtHypervisor.isEmulatedDefinition("<?xml version='1.0'?>\n<domain type=\"qemu\">"));
        assertFalse(LibvirtHypervisor.isEmulatedDefinition("<domain type='kvm' id='3'>"));
        assertFalse(LibvirtHypervisor.isEmulatedDefinition("<domain type='test'><name>qemu</name>"));
        assertFalse(LibvirtHypervisor.isEmulatedDefinition(null));
    }

    @Test
    void setOnlineVcpusOnShutOffMachineChangesConfig() throws Exception {
        hv.setOnlineVcpus(BETA, 2);
        MachineInfo beta = get(BETA);
        assertEquals(MachineState.SHUT_OFF, beta.state());
        assertEquals(2, beta.onlineVcpus());
        assertEquals(2, vcpus(BETA, NativeVirt.AFFECT_CONFIG));
        hv.powerOn(BETA);
        assertEquals(2, get(BETA).onlineVcpus());
    }

    @Test
    void setOnlineVcpusChecksRange() throws Exception {
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setOnlineVcpus(ALPHA, 0)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setOnlineVcpus(ALPHA, 5)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setOnlineVcpus(BETA, 3)));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> hv.setOnlineVcpus(ALPHA, -1)));
        assertEquals(Reason.NOT_FOUND, reasonOf(() -> hv.setOnlineVcpus(UNKNOWN, 1)));
        assertEquals(2, get(ALPHA).onlineVcpus());
    }

    // ---------------------------------------------------------------- events

    @Test
    void lifecycleEventsFromTestDriver() throws Exception {
        String xml = "<domain type='test'><name>delta</name><uuid>AAAAAAAA-0000-4000-8000-0000000000DD</uuid>"
                + "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>";
        String delta = "aaaaaaaa-0000-4000-8000-0000000000dd";
        raw(delta, c -> c.domainDefineXML(xml).free());
        MachineEvent defined = events.await(delta, Type.DEFINED);
        assertEquals("delta", defined.name());
        assertEquals(MachineState.SHUT_OFF, get(delta).state());

        hv.powerOn(delta);
        events.await(delta, Type.STARTED);
        raw(delta, c -> { c.domainLookupByUUIDString(delta).suspend(); return null; });
        events.await(delta, Type.SUSPENDED);
        hv.powerOn(delta);
        events.await(delta, Type.RESUMED);
        hv.shutdown(delta);
        events.await(delta, Type.STOPPED);
        hv.powerOn(delta);
        events.await(delta, Type.STARTED);
        hv.powerOff(delta);
        events.await(delta, Type.STOPPED);

        raw(delta, c -> { c.domainLookupByUUIDString(delta).undefine(); return null; });
        events.await(delta, Type.UNDEFINED);
        assertTrue(hv.machine(delta).isEmpty());
    }

    @Test
    void pmSuspendIsNotSupportedByTestDriver() {
        HypervisorException e = assertThrows(HypervisorException.class, () -> raw(ALPHA, c -> {
            c.domainLookupByUUIDString(ALPHA).PMsuspend(org.libvirt.SuspendTarget.MEMORY);
            return null;
        }));
        assertEquals(Reason.UNSUPPORTED, e.reason());
    }

    @Test
    void throwingListenerDoesNotStopOthersAndUnbindStopsDelivery() throws Exception {
        hv.removeMachineListener(events);
        hv.addMachineListener(e -> {
            throw new IllegalStateException("listener bug (expected by the test)");
        });
        TestSupport.Recorder second = new TestSupport.Recorder();
        hv.addMachineListener(second);
        hv.powerOff(ALPHA);
        second.await(ALPHA, Type.STOPPED);
        hv.removeMachineListener(second);
        hv.powerOn(ALPHA);
        assertTrue(second.drain(300).isEmpty());
        assertTrue(events.events.isEmpty(), "removed listener got events");
    }

    // ---------------------------------------------------------------- connection

    @Test
    void oneSharedConnectionKeepsState() throws Exception {
        hv.listMachines();
        long generation = hv.connection().generation();
        assertEquals(1, generation);
        hv.powerOff(ALPHA);
        hv.setOnlineVcpus(BETA, 2);
        for (int i = 0; i < 5; i++) {
            assertEquals(MachineState.SHUT_OFF, get(ALPHA).state());
            assertEquals(2, get(BETA).onlineVcpus());
        }
        assertEquals(generation, hv.connection().generation());
    }

    @Test
    void concurrentCallsShareTheConnection() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    if (n % 20 == 0) {
                        try {
                            hv.powerOff(ALPHA);
                        } catch (HypervisorException e) {
                            assertEquals(Reason.INVALID_STATE, e.reason());
                        }
                        try {
                            hv.powerOn(ALPHA);
                        } catch (HypervisorException e) {
                            assertEquals(Reason.INVALID_STATE, e.reason());
                        }
                    }
                    assertEquals(3, hv.listMachines().size());
                    return get(BETA);
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hv.connection().generation());
    }

    @Test
    void reconnectReRegistersEventsAndAnnouncesMachines() throws Exception {
        hv.powerOff(ALPHA);
        events.await(ALPHA, Type.STOPPED);
        assertEquals(1, hv.connection().generation());

        hv.connection().reconnect("test");
        // the test driver gives the new connection a fresh hypervisor from the file: ALPHA runs again
        assertEquals(MachineState.RUNNING, get(ALPHA).state());
        assertEquals(2, hv.connection().generation());
        for (String uuid : List.of(ALPHA, BETA, GAMMA)) {
            events.await(uuid, Type.OTHER);
        }
        hv.powerOff(ALPHA);   // events flow on the new connection
        events.await(ALPHA, Type.STOPPED);
    }

    @Test
    void connectionClosedUnderneathIsReopened() throws Exception {
        raw(ALPHA, c -> c.close());   // as if libvirtd went away: the connection is no longer usable
        assertEquals(MachineState.RUNNING, get(ALPHA).state());
        assertEquals(2, hv.connection().generation());
        hv.powerOff(ALPHA);
        events.await(ALPHA, Type.STOPPED);
    }

    @Test
    void unreachableHypervisorIsUnavailableAndDoesNotHang() throws Exception {
        LibvirtHypervisor broken = new LibvirtHypervisor();
        broken.activate(TestSupport.config(Map.of("uri", "test:///nonexistent/vamt-no-such-file.xml",
                "connectTimeoutMs", 2000L, "reconnectIntervalMs", 200L)));
        try {
            long t0 = System.nanoTime();
            assertEquals(Reason.UNAVAILABLE, reasonOf(broken::listMachines));
            assertEquals(Reason.UNAVAILABLE, reasonOf(() -> broken.machine(ALPHA)));
            assertEquals(Reason.UNAVAILABLE, reasonOf(() -> broken.powerOn(ALPHA)));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(6), "took too long");
            assertFalse(broken.connection().isConnected());
        } finally {
            long t0 = System.nanoTime();
            broken.deactivate();
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "deactivate took too long");
        }
    }

    @Test
    void deactivateStopsThreadsAndCalls() throws Exception {
        assertTrue(EventLoop.isRunning());
        hv.deactivate();
        assertFalse(EventLoop.isRunning());
        assertFalse(threadAlive(EventLoop.THREAD_NAME), "event loop thread still alive");
        assertFalse(threadAlive(LibvirtHypervisor.DISPATCH_THREAD_NAME), "dispatcher still alive");
        assertFalse(threadAlive("vamt-libvirt-connector"), "connector still alive");
        assertEquals(Reason.UNAVAILABLE, reasonOf(hv::listMachines));
        // and it can be activated again (event loop restarts), as SCR does on config changes
        hv.activate(TestSupport.config(TestSupport.testUri("/test-node.xml")));
        assertTrue(EventLoop.isRunning());
        hv.powerOff(ALPHA);
        events.await(ALPHA, Type.STOPPED);
    }

    private static boolean threadAlive(String name) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            boolean alive = Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().equals(name) && t.isAlive());
            if (!alive) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    // ---------------------------------------------------------------- mappings

    @Test
    void uuidCanonicalForm() throws Exception {
        assertEquals(ALPHA, LibvirtHypervisor.canonical(" AAAAAAAA-0000-4000-8000-000000000001 "));
        assertEquals(ALPHA, LibvirtHypervisor.canonical("aaaaaaaa000040008000000000000001"));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> LibvirtHypervisor.canonical("aaaa")));
        assertEquals(Reason.INVALID_ARGUMENT, reasonOf(() -> LibvirtHypervisor.canonical(null)));
    }

    @Test
    void errorMapping() {
        assertEquals(Reason.NOT_FOUND, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_NO_DOMAIN));
        assertEquals(Reason.INVALID_STATE, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_OPERATION_INVALID));
        assertEquals(Reason.UNSUPPORTED, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_NO_SUPPORT));
        assertEquals(Reason.UNSUPPORTED, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_OPERATION_UNSUPPORTED));
        assertEquals(Reason.INVALID_ARGUMENT, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_INVALID_ARG));
        assertEquals(Reason.UNAVAILABLE, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_NO_CONNECT));
        assertEquals(Reason.UNAVAILABLE, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_INVALID_CONN));
        assertEquals(Reason.UNAVAILABLE, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_RPC));
        assertEquals(Reason.FAILED, ErrorMapping.reason(org.libvirt.Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR));
        assertEquals(Reason.FAILED, ErrorMapping.reason(null));
    }

    @Test
    void stateAndEventMapping() {
        assertEquals(MachineState.SHUT_OFF, LibvirtHypervisor.state(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF));
        assertEquals(MachineState.SHUTTING_DOWN, LibvirtHypervisor.state(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_SHUTDOWN));
        assertEquals(MachineState.SUSPENDED, LibvirtHypervisor.state(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_PMSUSPENDED));
        assertEquals(MachineState.CRASHED, LibvirtHypervisor.state(org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_CRASHED));
        assertEquals(Type.PM_SUSPENDED, LibvirtHypervisor.eventType(org.libvirt.event.DomainEventType.PMSUSPENDED));
        assertEquals(Type.CRASHED, LibvirtHypervisor.eventType(org.libvirt.event.DomainEventType.CRASHED));
        assertEquals(Type.SHUTDOWN, LibvirtHypervisor.eventType(org.libvirt.event.DomainEventType.SHUTDOWN));
        assertEquals(Type.OTHER, LibvirtHypervisor.eventType(org.libvirt.event.DomainEventType.UNKNOWN));
        for (org.libvirt.event.DomainEventType t : org.libvirt.event.DomainEventType.values()) {
            LibvirtHypervisor.eventType(t);
        }
    }

}
