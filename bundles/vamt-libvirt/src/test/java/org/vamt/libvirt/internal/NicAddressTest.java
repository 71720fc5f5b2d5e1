package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_02;
import static org.vamt.libvirt.internal.DemoHypervisor.UNKNOWN;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.NicAddress;

/**
 * {@link LibvirtHypervisor#nicAddress} on the demo machines in libvirt's test driver, whose
 * network "default" (192.168.122.1/24, NAT, DHCP) hands every running machine a lease.
 */
class NicAddressTest {
    private LibvirtHypervisor hv;
    private TestSupport.Recorder events;

    @BeforeEach
    void activate() throws Exception {
        hv = new LibvirtHypervisor();
        events = new TestSupport.Recorder();
        hv.addMachineListener(events);
        hv.activate(TestSupport.config(TestSupport.testUri(DemoHypervisor.demoFile())));
    }

    @AfterEach
    void deactivate() {
        hv.deactivate();
    }

    @Test
    void aRunningMachineHasItsLeaseWithTheNetworksGatewayAndDns() throws Exception {
        NicAddress a = hv.nicAddress(DESKTOP_01, "52-54-00-A0-00-01").orElseThrow();
        assertEquals(new NicAddress("192.168.122.3", 24, "192.168.122.1", List.of("192.168.122.1")), a);
        assertEquals("255.255.255.0", a.subnetMask());
        assertEquals("192.168.122.23", hv.nicAddress(DESKTOP_02, "52:54:00:a0:00:02").orElseThrow().address());
    }

    @Test
    void noAddressWhileOffOrForAnotherMac() throws Exception {
        assertEquals(Optional.empty(), hv.nicAddress(BUILD_SERVER, "52:54:00:a0:00:03"));
        assertEquals(Optional.empty(), hv.nicAddress(DESKTOP_01, "52:54:00:a0:00:99"));

        hv.powerOn(BUILD_SERVER);
        events.await(BUILD_SERVER, MachineEvent.Type.STARTED);
        NicAddress a = hv.nicAddress(BUILD_SERVER, "52:54:00:a0:00:03").orElseThrow();
        assertEquals("192.168.122.1", a.gateway());
    }

    @Test
    void badArguments() {
        assertEquals(Reason.INVALID_ARGUMENT,
                assertThrows(HypervisorException.class, () -> hv.nicAddress(DESKTOP_01, "nope")).reason());
        assertEquals(Reason.NOT_FOUND,
                assertThrows(HypervisorException.class, () -> hv.nicAddress(UNKNOWN, "52:54:00:a0:00:01")).reason());
    }

    @Test
    void gatewayOnlyOnAForwardingNetworkAndDnsUnlessDisabled() {
        String isolated = "<network><name>lab</name><dns enable='no'/>"
                + "<ip address='10.1.0.1' prefix='16'><dhcp><range start='10.1.0.2' end='10.1.0.9'/></dhcp></ip></network>";
        assertEquals(new NicAddress("10.1.2.3", 16, null, List.of()), NicAddresses.withNetwork("10.1.2.3", 16, isolated));
        String routed = "<network><name>r</name><forward mode='route'/><ip address='10.2.0.1' netmask='255.255.255.0'/></network>";
        assertEquals(new NicAddress("10.2.0.7", 24, "10.2.0.1", List.of("10.2.0.1")),
                NicAddresses.withNetwork("10.2.0.7", 24, routed));
        assertEquals(new NicAddress("172.16.0.7", 24, null, List.of()),
                NicAddresses.withNetwork("172.16.0.7", 24, routed), "an address outside the network's subnet");
        assertEquals(new NicAddress("172.16.0.7", 24, null, List.of()), NicAddresses.withNetwork("172.16.0.7", 24, "<x"));
    }
}
