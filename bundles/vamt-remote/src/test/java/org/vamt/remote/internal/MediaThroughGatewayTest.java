package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.NetworkMedia;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.internal.link.PeerRole;

/**
 * IDE-R through a gateway, on the real link (node's NodeLink over mutual-TLS HTTPS, the node's
 * console link, certificates of a test site CA): the gateway is handed its own NBD server's address,
 * the node's drive gets a media door on the node's 127.0.0.1, and what QEMU's NBD client would send to
 * that door reaches the gateway's server and back, for every connection it makes, until the eject.
 * libvirt's test driver cannot change a CD-ROM's medium (virDomainUpdateDeviceFlags is not supported),
 * so the node's drive is the test's: it records what the node put in and took out; the test plays
 * QEMU's NBD client and the gateway's NBD server on loopback sockets.
 */
class MediaThroughGatewayTest {
    static final int HEARTBEAT = ConsoleLinkTest.HEARTBEAT;
    static final String VM = DemoHypervisor.DESKTOP_01;

    @TempDir
    Path dir;
    DemoHypervisor demo;
    LinkFixture link;
    NodeConsoleLink consoles;
    GatewayHypervisor gateway;
    NodeHypervisor nodeThroughLink;
    /** The node's CD-ROM drives: VM → medium in it (absent: empty). */
    final Map<String, NetworkMedia> drives = new ConcurrentHashMap<>();
    final List<String> driveLog = new CopyOnWriteArrayList<>();
    /** The gateway's NBD server (the IDE-R session's), played by the test. */
    ServerSocket nbd;

    @BeforeEach
    void setUp() throws Exception {
        demo = DemoHypervisor.start();
        link = new LinkFixture(dir);
        Hypervisor node = withDrives(demo.hypervisor());
        MutualTlsIntent nodeIntent = link.peer(link.site, "node-a", PeerRole.NODE, LinkFixture.freePort(), 3000);
        consoles = new NodeConsoleLink(node, nodeIntent.tls(), "127.0.0.1", "", 0, HEARTBEAT, 1000);
        NodeExport export = new NodeExport(node, "node-a");
        export.consoles = consoles;
        LinkFixture.Served served = link.serve(export, "node-a");
        MutualTlsIntent gatewayIntent = link.peer(link.site, "gateway-1", PeerRole.GATEWAY, LinkFixture.freePort(), 3000);
        gateway = new GatewayHypervisor(100);
        ConsoleLinkClient client = new ConsoleLinkClient(gatewayIntent.tls().sslContext(), 1000, 2000, HEARTBEAT);
        gateway.consoleLinks = () -> client;
        nodeThroughLink = LinkFixture.client(gatewayIntent, served.address(), "node-a");
        gateway.bindNode(nodeThroughLink, Map.of(NodeHypervisor.NODE_ID, "node-a", "endpoint.id", served.address()));
        await("the gateway serves the node's VMs", () -> gateway.listMachines().size() == 4);
        nbd = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        nbd.setSoTimeout(5000);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.deactivate();
        }
        if (consoles != null) {
            consoles.deactivate();
        }
        if (nbd != null) {
            nbd.close();
        }
        link.close();
        demo.close();
    }

    @Test
    void qemusConnectionsToTheNodesDoorReachTheGatewaysNbdServerUntilTheEject() throws Exception {
        gateway.insertMedia(VM, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "ider-3f9a"));
        NetworkMedia inDrive = drives.get(VM);
        assertEquals("127.0.0.1", inDrive.host(), "the node's QEMU is pointed at the node's loopback");
        assertEquals("ider-3f9a", inDrive.export(), "the session's random export name, unchanged");
        assertNotEquals(nbd.getLocalPort(), inDrive.port(), "a door of the node, not the gateway's server");

        // QEMU connects (the server speaks first in NBD's handshake), reads, and reconnects
        for (int round = 0; round < 2; round++) {
            try (Socket qemu = new Socket("127.0.0.1", inDrive.port()); Socket server = nbd.accept()) {
                qemu.setSoTimeout(5000);
                server.setSoTimeout(5000);
                server.getOutputStream().write("NBDMAGICIHAVEOPT".getBytes(StandardCharsets.US_ASCII));
                assertEquals("NBDMAGICIHAVEOPT", new String(qemu.getInputStream().readNBytes(16),
                        StandardCharsets.US_ASCII));
                byte[] request = "READ 2048 at 0".getBytes(StandardCharsets.US_ASCII);
                qemu.getOutputStream().write(request);
                assertArrayEquals(request, server.getInputStream().readNBytes(request.length));
                byte[] sectors = new byte[200_000];   // many frames
                for (int i = 0; i < sectors.length; i++) {
                    sectors[i] = (byte) (i * 31 + round);
                }
                server.getOutputStream().write(sectors);
                assertArrayEquals(sectors, qemu.getInputStream().readNBytes(sectors.length));
                qemu.close();
                assertEquals(-1, server.getInputStream().read(), "QEMU's disconnect reaches the server");
            }
        }

        // two at once (NBD multi-conn): each its own stream
        try (Socket first = new Socket("127.0.0.1", inDrive.port()); Socket firstServer = nbd.accept();
             Socket second = new Socket("127.0.0.1", inDrive.port()); Socket secondServer = nbd.accept()) {
            firstServer.getOutputStream().write('1');
            secondServer.getOutputStream().write('2');
            first.setSoTimeout(5000);
            second.setSoTimeout(5000);
            assertEquals('1', first.getInputStream().read());
            assertEquals('2', second.getInputStream().read());

            gateway.ejectMedia(VM);
            assertEquals(null, drives.get(VM), "the medium is out of the node's drive");
            // the door closes and takes its connections with it
            assertEquals(-1, first.getInputStream().read());
            assertEquals(-1, second.getInputStream().read());
        }
        int door = inDrive.port();
        await("the node's door is closed", () -> consoles.openMediaDoors() == 0 && refused(door));
        assertEquals(List.of("insert " + VM, "eject " + VM), driveLog);
    }

    @Test
    void aGatewayThatGoesAwayWithoutAnEjectLeavesNoMediumInTheDrive() throws Exception {
        gateway.insertMedia(VM, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "ider-1"));
        int door = drives.get(VM).port();
        gateway.deactivate();   // its door streams close; no eject was sent over the link
        gateway = null;
        await("the node took the medium out itself", () -> !drives.containsKey(VM));
        await("and closed the door", () -> refused(door));
        assertEquals(List.of("insert " + VM, "eject " + VM), driveLog);
    }

    @Test
    void aNewMediumReplacesTheOldOneAndOnlyTheOldDoorCloses() throws Exception {
        gateway.insertMedia(VM, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "ider-old"));
        int oldDoor = drives.get(VM).port();
        gateway.insertMedia(VM, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "ider-new"));
        NetworkMedia now = drives.get(VM);
        assertEquals("ider-new", now.export());
        await("the old door closed", () -> refused(oldDoor));
        assertEquals(now, drives.get(VM), "closing the old door did not take the new medium out");
        assertEquals(1, consoles.openMediaDoors());
        gateway.ejectMedia(VM);
        await("no door left", () -> consoles.openMediaDoors() == 0);
    }

    @Test
    void aNodeTakesOnlyItsOwnDoorsForTheVmFromAGateway() throws Exception {
        // a medium anywhere else (an NBD server on the network): refused before the hypervisor sees it
        HypervisorException elsewhere = assertThrows(HypervisorException.class,
                () -> nodeThroughLink.insertMedia(VM, new NetworkMedia("192.0.2.7", 10809, "x")));
        assertEquals(Reason.INVALID_ARGUMENT, elsewhere.reason(), elsewhere.getMessage());
        // another VM's door
        gateway.insertMedia(DemoHypervisor.KIOSK, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "ider-k"));
        NetworkMedia kioskDoor = drives.get(DemoHypervisor.KIOSK);
        HypervisorException otherVm = assertThrows(HypervisorException.class,
                () -> nodeThroughLink.insertMedia(VM, kioskDoor));
        assertEquals(Reason.INVALID_ARGUMENT, otherVm.reason(), otherVm.getMessage());
        assertEquals(List.of("insert " + DemoHypervisor.KIOSK), driveLog);
        // a VM the node does not have: no door is opened for it
        HypervisorException unknown = assertThrows(HypervisorException.class, () -> gateway.insertMedia(
                DemoHypervisor.UNKNOWN, new NetworkMedia("127.0.0.1", nbd.getLocalPort(), "x")));
        assertEquals(Reason.NOT_FOUND, unknown.reason());
        assertEquals(1, consoles.openMediaDoors());
    }

    @Test
    void aDoorsConnectionsAreOnlyForTheGatewayThatOpenedIt() throws Exception {
        MediaDoors doors = new MediaDoors(demo.hypervisor(), 1000);
        MediaDoors.Door door = doors.open(VM, "gateway-1");
        try {
            for (String[] claim : new String[][] {{door.token, VM, "gateway-2"}, {door.token, DemoHypervisor.KIOSK,
                    "gateway-1"}, {"0".repeat(ConsoleLink.TOKEN_LENGTH), VM, "gateway-1"}}) {
                HypervisorException e = assertThrows(HypervisorException.class,
                        () -> doors.claim(claim[0], claim[1], claim[2], 0));
                assertEquals(Reason.NOT_FOUND, e.reason());
                assertTrue(e.getMessage().startsWith("no media door"), e.getMessage());
                assertTrue(!e.getMessage().contains(door.token), "the token is not told: " + e.getMessage());
            }
            HypervisorException none = assertThrows(HypervisorException.class,
                    () -> doors.claim(door.token, VM, "gateway-1", 0));
            assertTrue(none.getMessage().contains("no connection 0 waiting"), none.getMessage());
        } finally {
            doors.close();
        }
        assertTrue(refused(door.port()));
    }

    @Test
    void withoutAConsoleLinkOnTheNodeMediaAreUnsupported() throws Exception {
        NodeExport bare = new NodeExport(demo.hypervisor(), "node-b");
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> bare.insertMedia(VM, new NetworkMedia("127.0.0.1", 1, "x")));
        assertEquals(Reason.UNSUPPORTED, e.reason());
    }

    // ------------------------------------------------------------------ helpers

    static boolean refused(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(what + ": not within 10 s");
            }
            Thread.sleep(20);
        }
    }

    /** The test driver's hypervisor with CD-ROM drives the test reads (the test driver has no media change). */
    Hypervisor withDrives(Hypervisor real) {
        return (Hypervisor) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Hypervisor.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("insertMedia") || method.getName().equals("ejectMedia")) {
                        String uuid = (String) args[0];
                        Optional<?> vm = real.machine(uuid);
                        if (vm.isEmpty()) {
                            throw new HypervisorException(Reason.NOT_FOUND, uuid);
                        }
                        if (method.getName().equals("insertMedia")) {
                            drives.put(uuid, (NetworkMedia) args[1]);
                            driveLog.add("insert " + uuid);
                        } else {
                            drives.remove(uuid);
                            driveLog.add("eject " + uuid);
                        }
                        return null;
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
