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
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.internal.TestConfigs;

/**
 * A console's policy names a primary and a backup MPS (AMT_RemoteAccessPolicyAppliesToMPS,
 * OrderOfAccess 0 and 1): when the primary cannot be reached, the VM dials the backup next, as AMT
 * does; the test driver's desktop-01, the primary a closed loopback port, the backup a loopback
 * listener that sees the VM's TLS client arrive.
 */
class BackupMpsTest {
    static final String DESKTOP_01 = "6f8c1a52-4b1e-4d6a-9a01-000000000001";

    DemoHypervisor demo;
    CiraManager manager;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        manager = new CiraManager(demo.hypervisor(), (vm, port, peer, sink) -> Optional.empty(),
                TestConfigs.of(CiraManager.Config.class, Map.of("backoffMinSeconds", 1, "backoffMaxSeconds", 2)),
                null);
    }

    @AfterEach
    void stop() {
        manager.deactivate();
        demo.close();
    }

    @Test
    void whenThePrimaryMpsCannotBeReachedTheBackupIsDialledNext() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (ServerSocket backup = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
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
}
