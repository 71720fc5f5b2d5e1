package org.vamt.cira.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cira.Cira;
import org.vamt.cira.CiraProfile;
import org.vamt.hypervisor.MachinesListed;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.internal.TestConfigs;

/**
 * The fleet manager over the libvirt test driver's VMs and its real events; the MPS is a loopback
 * listener that sees each VM's TLS client arrive (and leave).
 */
class CiraManagerTest {
    static final String DESKTOP_01 = "6f8c1a52-4b1e-4d6a-9a01-000000000001";

    DemoHypervisor demo;
    CiraManager manager;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        manager = new CiraManager(demo.hypervisor(), (vm, port, peer, sink) -> Optional.empty(),
                TestConfigs.of(CiraManager.Config.class, Map.of("backoffMinSeconds", 1, "backoffMaxSeconds", 2)),
                null);
        manager.bindMachinesListed(new MachinesListed() { });   // as vamt-endpoints does after its first listing
    }

    @AfterEach
    void stop() {
        manager.deactivate();
        demo.close();
    }

    /**
     * A console's policy names a primary and a backup MPS (AMT_RemoteAccessPolicyAppliesToMPS,
     * OrderOfAccess 0 and 1): when the primary cannot be reached, the VM dials the backup next, as
     * AMT does; the primary is a closed loopback port.
     */
    @Test
    void whenThePrimaryMpsCannotBeReachedTheBackupIsDialledNext() throws Exception {
        // a socket bound but not listening: its port refuses connections and stays out of the
        // ephemeral pool, so the backup's server socket cannot be given the same port
        try (Socket closedPort = new Socket();
             ServerSocket backup = new ServerSocket()) {
            closedPort.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int closed = closedPort.getLocalPort();
            backup.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            backup.setSoTimeout(15_000);
            CiraProfile.Mps primary = new CiraProfile.Mps("127.0.0.1", closed, "primaryUser", "Primary-Pw1");
            CiraProfile.Mps second = new CiraProfile.Mps("127.0.0.1", backup.getLocalPort(), "backupUser", "Backup-Pw1");
            CiraProfile profile = new CiraProfile(true, List.of(primary, second),
                    new CiraProfile.Trust(null, "ab".repeat(32)), 30);
            manager.addSource((uuid, name) -> uuid.equalsIgnoreCase(DESKTOP_01) ? Optional.of(profile) : Optional.empty());

            try (Socket arrived = backup.accept()) {
                assertTrue(arrived.getInetAddress().isLoopbackAddress());
            }
            Cira.Tunnel t = manager.tunnels().stream().filter(x -> x.vmUuid().equalsIgnoreCase(DESKTOP_01))
                    .findFirst().orElseThrow();
            assertEquals(second.toString(), t.mps(), "the VM is on its backup MPS: " + t);
            assertTrue(t.failures() >= 1, "after a failed attempt on the primary: " + t);
            // the backup's certificate is not the pinned one: the next round starts with the primary again
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String mps = t.mps();
            while (mps.equals(second.toString()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                mps = manager.tunnels().stream().filter(x -> x.vmUuid().equalsIgnoreCase(DESKTOP_01))
                        .findFirst().orElseThrow().mps();
            }
            assertEquals(primary.toString(), mps, "the next attempt dials the primary again");
        }
    }

    /** A VM defined while vAMT runs opens its tunnel; undefined, it closes it and is no longer listed. */
    @Test
    void aNewVmDialsAndAnUndefinedOneClosesItsTunnel() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-0000000000c1";
        demo.addMachineListener(manager);
        try (ServerSocket mps = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            mps.setSoTimeout(15_000);
            CiraProfile profile = new CiraProfile(true, List.of(new CiraProfile.Mps("127.0.0.1", mps.getLocalPort(),
                    "fleetUser", "Fleet-Pw1")), new CiraProfile.Trust(null, "ab".repeat(32)), 30);
            manager.addSource((id, name) -> name.startsWith("cira-new") ? Optional.of(profile) : Optional.empty());
            assertTrue(manager.tunnels().isEmpty(), "no demo VM is named cira-new*: " + manager.tunnels());

            demo.define("<domain type='test'><name>cira-new-1</name><uuid>" + uuid + "</uuid>"
                    + "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
            try (Socket arrived = mps.accept()) {
                // the VM's TLS client waits for the MPS's answer; the test gives none
                assertEquals(List.of("cira-new-1"), manager.tunnels().stream().map(Cira.Tunnel::vmName).toList());
                demo.undefine(uuid);
                // the tunnel is closed: the rest of its ClientHello, then the end of the stream (a timeout fails)
                arrived.setSoTimeout(10_000);
                byte[] b = new byte[4096];
                while (arrived.getInputStream().read(b) >= 0) {
                    // the ClientHello
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!manager.tunnels().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(manager.tunnels().isEmpty(), "undefined: no tunnel listed: " + manager.tunnels());
            }
        }
    }
}
