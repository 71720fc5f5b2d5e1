package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.SerialConsole;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.SitePki;

/**
 * SOL through a gateway over the console link, on real sockets and real TLS: a node (libvirt
 * test driver, whose VMs get a serial console the test plays the guest of: the test driver has
 * none) with its console link, a gateway whose composite hypervisor opens the console of the
 * node's VM. Certificates come from a test site CA; a second CA stands for a stranger.
 */
class ConsoleLinkTest {
    /** Long enough that a busy CI machine (load 30 on 2 cores seen) never misses three in a row. */
    static final int HEARTBEAT = 1000;

    @TempDir
    Path dir;
    DemoHypervisor demo;
    SitePki site;
    Guest guest;
    NodeConsoleLink node;
    GatewayHypervisor gateway;

    @BeforeEach
    void setUp() throws Exception {
        demo = DemoHypervisor.start();
        site = siteCa(dir.resolve("site-ca"), "test site CA");
        guest = new Guest();
        Path nodeEtc = peer(site, "node-a", PeerRole.NODE);
        node = new NodeConsoleLink(withConsoles(demo.hypervisor(), guest), nodeEtc, "127.0.0.1", "", 0, HEARTBEAT, 1000);
        NodeExport export = new NodeExport(demo.hypervisor(), "node-a");
        export.consoles = node;
        gateway = new GatewayHypervisor(100);
        SSLContext gatewayTls = LinkTls.load(peer(site, "gateway-1", PeerRole.GATEWAY)).sslContext();
        gateway.consoleLinks = () -> new ConsoleLinkClient(gatewayTls, 1000, 2000, HEARTBEAT);
        gateway.bindNode(export, Map.of(NodeHypervisor.NODE_ID, "node-a", "endpoint.id", "in-process"));
        for (int i = 0; i < 100 && gateway.listMachines().isEmpty(); i++) {
            Thread.sleep(50);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.deactivate();
        }
        if (node != null) {
            node.deactivate();
        }
        guest.close();
        demo.close();
    }

    @Test
    void solBytesCrossTheLinkBothWays() throws Exception {
        try (SerialConsole console = gateway.openConsole(DemoHypervisor.KIOSK)) {
            Socket vm = guest.next();
            vm.getOutputStream().write("vamt-guest login: ".getBytes(StandardCharsets.US_ASCII));
            assertEquals("vamt-guest login: ", readString(console, 18));
            console.write("root\r".getBytes(StandardCharsets.US_ASCII), 0, 5);
            assertEquals("root\r", new String(vm.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            // more than one frame, both ways
            byte[] screen = new byte[100_000];
            for (int i = 0; i < screen.length; i++) {
                screen[i] = (byte) i;
            }
            Thread writer = new Thread(() -> {
                try {
                    vm.getOutputStream().write(screen);
                } catch (IOException e) {
                    // the assertion below tells
                }
            });
            writer.start();
            byte[] got = new byte[screen.length];
            for (int at = 0; at < got.length; ) {
                byte[] buffer = new byte[4096];
                int n = console.read(buffer);
                assertTrue(n > 0, "stream ended after " + at + " bytes");
                System.arraycopy(buffer, 0, got, at, n);
                at += n;
            }
            assertArrayEquals(screen, got);
            console.write(screen, 0, screen.length);
            assertArrayEquals(screen, vm.getInputStream().readNBytes(screen.length));

            // the guest's console ends (VM stopped, console taken over): so does the gateway's stream
            vm.close();
            assertEquals(-1, console.read(new byte[16]));
        }
    }

    @Test
    void kvmBytesCrossTheLinkBothWaysThroughAOneUseLoopbackPort() throws Exception {
        java.net.InetSocketAddress door = gateway.vncDisplay(DemoHypervisor.KIOSK).orElseThrow();
        assertTrue(door.getAddress().isLoopbackAddress(), door.toString());
        guest.display.setSoTimeout(5000);
        try (Socket viewer = new Socket(door.getAddress(), door.getPort()); Socket qemu = guest.display.accept()) {
            qemu.getOutputStream().write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("RFB 003.008\n", new String(viewer.getInputStream().readNBytes(12), StandardCharsets.US_ASCII));
            byte[] frame = new byte[70_000];
            java.util.Arrays.fill(frame, (byte) 7);
            viewer.getOutputStream().write(frame);
            assertArrayEquals(frame, qemu.getInputStream().readNBytes(frame.length));
            // the display goes away: so does the viewer's connection
            qemu.close();
            viewer.setSoTimeout(5000);
            assertEquals(-1, viewer.getInputStream().read());
        }
        // one use: the port is closed once taken
        assertThrows(IOException.class, () -> new Socket(door.getAddress(), door.getPort()).close());
    }

    @Test
    void aVmTheNodeDoesNotHaveIsRefused() throws Exception {
        HypervisorException atGateway = assertThrows(HypervisorException.class,
                () -> gateway.openConsole(DemoHypervisor.UNKNOWN));
        assertEquals(Reason.NOT_FOUND, atGateway.reason());
        // asked of the node directly (another gateway that believes the node has it): the node refuses
        ConsoleLinkClient client = new ConsoleLinkClient(
                LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY)).sslContext(), 1000, 2000, HEARTBEAT);
        HypervisorException atNode = assertThrows(HypervisorException.class,
                () -> client.openConsole(node.advertised(), "node-a", DemoHypervisor.UNKNOWN));
        assertEquals(Reason.NOT_FOUND, atNode.reason(), atNode.getMessage());
        assertTrue(atNode.getMessage().contains("no VM " + DemoHypervisor.UNKNOWN), atNode.getMessage());
        // a VM that is off: the node's own answer (INVALID_STATE from the hypervisor) comes through
        HypervisorException off = assertThrows(HypervisorException.class,
                () -> gateway.openConsole(DemoHypervisor.BUILD_SERVER));
        assertEquals(Reason.INVALID_STATE, off.reason(), off.getMessage());
        assertEquals(0, guest.connections.size(), "no console was opened");
    }

    @Test
    void aPeerWithoutACertificateOfTheSiteCaIsRefused() throws Exception {
        SitePki stranger = siteCa(dir.resolve("stranger-ca"), "another site CA");
        LinkTls strangersGateway = LinkTls.load(peer(stranger, "gateway-1", PeerRole.GATEWAY));
        LinkTls siteGateway = LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY));
        // a gateway of another site that knows this site's CA: the node refuses its certificate
        SSLContext foreignKey = SSLContext.getInstance("TLSv1.3");
        foreignKey.init(new javax.net.ssl.KeyManager[] {presentingAnyway(
                (javax.net.ssl.X509KeyManager) strangersGateway.keyManagers()[0])}, siteGateway.trustManagers(), null);
        ConsoleLinkClient foreign = new ConsoleLinkClient(foreignKey, 1000, 2000, HEARTBEAT);
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> foreign.openConsole(node.advertised(), "node-a", DemoHypervisor.KIOSK));
        assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
        // no certificate at all
        SSLContext anonymous = SSLContext.getInstance("TLS");
        anonymous.init(null, siteGateway.trustManagers(), null);
        HypervisorException none = assertThrows(HypervisorException.class, () -> new ConsoleLinkClient(anonymous,
                1000, 2000, HEARTBEAT).openConsole(node.advertised(), "node-a", DemoHypervisor.KIOSK));
        assertEquals(Reason.UNAVAILABLE, none.reason(), none.getMessage());
        // plain TCP gets no plaintext answer
        String[] hostPort = node.advertised().split(":");
        try (Socket plain = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            plain.setSoTimeout(3000);
            plain.getOutputStream().write("VAMTCON1\u0001kiosk\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = plain.getInputStream().readNBytes(64);
            assertTrue(answer.length == 0 || answer[0] == 0x15, "a TLS alert or nothing, not a console");
        } catch (IOException reset) {
            // refused outright: as good
        }
        assertEquals(0, guest.connections.size(), "no console was opened for a stranger");
    }

    /** Another node's certificate (a compromised node) opens no console: the node takes only gateways' certificates. */
    @Test
    void aNodesCertificateOpensNoConsoleOfAnotherNode() throws Exception {
        LinkTls nodeB = LinkTls.load(peer(site, "node-b", PeerRole.NODE));
        // presented whatever JSSE's key manager thinks of a server certificate on a client
        SSLContext asClient = SSLContext.getInstance("TLSv1.3");
        asClient.init(new javax.net.ssl.KeyManager[] {presentingAnyway(
                (javax.net.ssl.X509KeyManager) nodeB.keyManagers()[0])}, nodeB.trustManagers(), null);
        HypervisorException e = assertThrows(HypervisorException.class, () -> new ConsoleLinkClient(asClient, 1000, 2000,
                HEARTBEAT).openConsole(node.advertised(), "node-a", DemoHypervisor.KIOSK));
        assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
        assertEquals(0, guest.connections.size(), "no console was opened for another node");
        // a gateway's certificate still opens it
        ConsoleLinkClient gatewayClient = new ConsoleLinkClient(LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY))
                .sslContext(), 1000, 2000, HEARTBEAT);
        try (SerialConsole console = gatewayClient.openConsole(node.advertised(), "node-a", DemoHypervisor.KIOSK)) {
            guest.next().getOutputStream().write('x');
            assertEquals("x", readString(console, 1));
        }
    }

    /** A console link served with a gateway's certificate, even one named as the node, is refused by the gateway. */
    @Test
    void aGatewaysCertificateServesNoConsoleLink() throws Exception {
        Path impostorEtc = peer(site, "node-a", PeerRole.GATEWAY);
        NodeConsoleLink impostor = new NodeConsoleLink(withConsoles(demo.hypervisor(), guest), impostorEtc, "127.0.0.1",
                "", 0, HEARTBEAT, 1000);
        try {
            ConsoleLinkClient client = new ConsoleLinkClient(LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY))
                    .sslContext(), 1000, 2000, HEARTBEAT);
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> client.openConsole(impostor.advertised(), "node-a", DemoHypervisor.KIOSK));
            assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
            assertEquals(0, guest.connections.size());
        } finally {
            impostor.deactivate();
        }
    }

    @Test
    void aPeerThatIsNotTheNodeItShouldBeIsRefused() throws Exception {
        Path otherEtc = peer(site, "node-b", PeerRole.NODE);
        NodeConsoleLink nodeB = new NodeConsoleLink(withConsoles(demo.hypervisor(), guest), otherEtc, "127.0.0.1", "",
                0, HEARTBEAT, 1000);
        try {
            ConsoleLinkClient client = new ConsoleLinkClient(
                    LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY)).sslContext(), 1000, 2000, HEARTBEAT);
            HypervisorException e = assertThrows(HypervisorException.class,
                    () -> client.openConsole(nodeB.advertised(), "node-a", DemoHypervisor.KIOSK));
            assertEquals(Reason.UNAVAILABLE, e.reason());
            assertTrue(e.getMessage().contains("'node-b', not node 'node-a'"), e.getMessage());
            assertEquals(0, guest.connections.size());
        } finally {
            nodeB.deactivate();
        }
    }

    @Test
    void aNodeThatGoesSilentEndsTheStreamWithinTheBound() throws Exception {
        try (BlackHole path = new BlackHole(node.advertised())) {
            ConsoleLinkClient client = new ConsoleLinkClient(
                    LinkTls.load(peer(site, "gateway-2", PeerRole.GATEWAY)).sslContext(), 1000, 2000, HEARTBEAT);
            SerialConsole console = client.openConsole(path.address(), "node-a", DemoHypervisor.KIOSK);
            Socket vm = guest.next();
            vm.getOutputStream().write('x');
            assertEquals("x", readString(console, 1));
            // quiet for longer than the silence limit: the PINGs keep it open
            long quiet = System.nanoTime();
            Thread.sleep(ConsoleLink.silenceLimit(HEARTBEAT) + HEARTBEAT);
            vm.getOutputStream().write('y');
            assertEquals("y", readString(console, 1), "still open after " + (System.nanoTime() - quiet) / 1_000_000 + " ms");
            // the node's host vanishes: nothing more arrives, nothing is closed
            path.freeze();
            long frozen = System.nanoTime();
            IOException dropped = assertThrows(IOException.class, () -> console.read(new byte[16]));
            long millis = (System.nanoTime() - frozen) / 1_000_000;
            assertTrue(dropped.getMessage().contains("silent"), dropped.getMessage());
            System.out.println("ConsoleLinkTest: a silent node dropped after " + millis + " ms (limit "
                    + ConsoleLink.silenceLimit(HEARTBEAT) + " ms)");
            assertTrue(millis < ConsoleLink.silenceLimit(HEARTBEAT) + 2_000, "dropped after " + millis + " ms");
            console.close();
        }
    }

    @Test
    void aNodeThatStopsEndsTheStream() throws Exception {
        SerialConsole console = gateway.openConsole(DemoHypervisor.KIOSK);
        guest.next();
        node.deactivate();
        long stopped = System.nanoTime();
        int n;
        try {
            n = console.read(new byte[16]);
        } catch (IOException e) {
            n = -1;
        }
        assertEquals(-1, n);
        assertTrue((System.nanoTime() - stopped) / 1_000_000 < 2_000);
        console.close();
        node = new NodeConsoleLink(demo.hypervisor(), dir.resolve("site-ca-node-a"), "127.0.0.1", "", 0, HEARTBEAT, 1000);
    }

    @Test
    void theWildcardAddressIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new NodeConsoleLink(demo.hypervisor(), dir.resolve("site-ca-node-a"),
                "0.0.0.0", "", 0, HEARTBEAT, 1000));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Presents its certificate even when the server asks for another CA's (the JDK would otherwise
     * send none): so the node's own trust check is what refuses it.
     */
    static javax.net.ssl.X509KeyManager presentingAnyway(javax.net.ssl.X509KeyManager keys) {
        return new javax.net.ssl.X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
                return keys.getClientAliases(keyType, null);
            }

            @Override
            public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
                return keys.chooseClientAlias(keyType, null, socket);
            }

            @Override
            public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
                return keys.getServerAliases(keyType, issuers);
            }

            @Override
            public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
                return keys.chooseServerAlias(keyType, issuers, socket);
            }

            @Override
            public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                return keys.getCertificateChain(alias);
            }

            @Override
            public java.security.PrivateKey getPrivateKey(String alias) {
                return keys.getPrivateKey(alias);
            }
        };
    }

    /** A site CA of its own, in {@code etc} (as vamt:link-ca-create makes it). */
    static SitePki siteCa(Path etc, String name) throws Exception {
        SitePki pki = new SitePki(Files.createDirectories(etc));
        pki.createCa(name, SitePki.DEFAULT_CA_VALIDITY);
        return pki;
    }

    /** The etc of peer {@code id} with its link material of {@code role} from {@code ca} (as link-cert-issue + link-cert-install do). */
    Path peer(SitePki ca, String id, PeerRole role) throws Exception {
        // <ca>-<id>, and the role too when it is not the usual one for that id (the tests reuse setUp's node-a etc)
        boolean usual = role == (id.startsWith("node") ? PeerRole.NODE : PeerRole.GATEWAY);
        Path etc = Files.createDirectories(dir.resolve(ca.etc().getFileName() + "-" + id + (usual ? "" : "-" + role.label())));
        SitePki.Issued issued = ca.issue(id, role, List.of(InetAddress.getLoopbackAddress()), Duration.ofDays(1));
        new SitePki(etc).install(issued.key(), issued.chain(), ca.caCertificate());
        return etc;
    }

    static String readString(SerialConsole console, int length) throws IOException {
        StringBuilder s = new StringBuilder();
        byte[] buffer = new byte[length];
        while (s.length() < length) {
            int n = console.read(buffer);
            if (n < 0) {
                break;
            }
            s.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
        return s.toString();
    }

    /**
     * The test driver's hypervisor, whose running VMs have a serial console: a loopback socket whose
     * other end is the test, as the guest. Everything else is the test driver's.
     */
    static Hypervisor withConsoles(Hypervisor real, Guest guest) {
        return (Hypervisor) Proxy.newProxyInstance(ConsoleLinkTest.class.getClassLoader(),
                new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> {
                    if (method.getName().equals("openConsole")) {
                        String uuid = (String) args[0];
                        if (!real.machine(uuid).orElseThrow(() -> new HypervisorException(Reason.NOT_FOUND, uuid))
                                .state().isOn()) {
                            throw new HypervisorException(Reason.INVALID_STATE, "VM " + uuid + " is not running");
                        }
                        return guest.connect();
                    }
                    if (method.getName().equals("vncDisplay")) {
                        real.machine((String) args[0]).orElseThrow(() -> new HypervisorException(Reason.NOT_FOUND, ""));
                        return java.util.Optional.of(new java.net.InetSocketAddress(guest.display.getInetAddress(),
                                guest.display.getLocalPort()));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The guests' side of their serial consoles. */
    static final class Guest implements AutoCloseable {
        final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        /** The VMs' VNC display (one for all: the test is its RFB server). */
        final ServerSocket display = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final BlockingQueue<Socket> connections = new LinkedBlockingQueue<>();

        Guest() throws IOException {
        }

        SerialConsole connect() throws IOException {
            Socket console = new Socket(listener.getInetAddress(), listener.getLocalPort());
            connections.add(listener.accept());
            InputStream in = console.getInputStream();
            OutputStream out = console.getOutputStream();
            return new SerialConsole() {
                @Override
                public int read(byte[] buffer) throws IOException {
                    try {
                        return in.read(buffer);
                    } catch (IOException e) {
                        if (console.isClosed()) {
                            return -1;
                        }
                        throw e;
                    }
                }

                @Override
                public void write(byte[] data, int offset, int length) throws IOException {
                    out.write(data, offset, length);
                }

                @Override
                public void close() {
                    try {
                        console.close();
                    } catch (IOException e) {
                        // gone
                    }
                }
            };
        }

        Socket next() throws InterruptedException {
            Socket s = connections.poll(5, TimeUnit.SECONDS);
            if (s == null) {
                throw new AssertionError("no console was opened");
            }
            return s;
        }

        @Override
        public void close() throws IOException {
            listener.close();
            display.close();
            for (Socket s : connections) {
                s.close();
            }
        }
    }

    /** A TCP path to the node that can stop carrying bytes without closing anything: a host that vanished. */
    static final class BlackHole implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private volatile boolean frozen;
        private final java.util.List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        BlackHole(String target) throws IOException {
            String[] hp = target.split(":");
            Thread t = new Thread(() -> {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket(hp[0], Integer.parseInt(hp[1]));
                    sockets.add(in);
                    sockets.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] b = new byte[8192];
                try {
                    int n;
                    while ((n = from.getInputStream().read(b)) >= 0) {
                        if (!frozen) {
                            to.getOutputStream().write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String address() {
            return "127.0.0.1:" + listener.getLocalPort();
        }

        void freeze() {
            frozen = true;
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
