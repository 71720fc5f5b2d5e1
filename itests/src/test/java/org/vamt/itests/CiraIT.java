package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * CIRA against an unmodified MeshCentral 1.1.55 (npm) on loopback: its MPS on 51433, its web
 * server on 51443 (exactPorts: it fails rather than move). An "Intel AMT only" device group is
 * made with meshctrl; vAMT (own copy of the distribution: 51992/51993, redirection 51994/51995,
 * 51181, 51101, 51099/51444) dials the MPS for desktop-01 and desktop-02, with the MPS's root
 * certificate as trust anchor. MeshCentral must list both VMs as connected through CIRA, read
 * their AMT version and realm through the tunnel, and power desktop-01 off and on (the VM's state
 * in libvirt, read directly from vAMT's own endpoint, really changes); then MeshCentral is
 * restarted and the VMs reconnect by themselves; then a wrong certificate pin: no connection,
 * a clear log line, and no login reaches the MPS. Last, a console sets CIRA up on a VM that the
 * operator's configuration leaves out (kiosk), over its LAN endpoint, with Intel DMT's own
 * wsman-messages library performing DMT RPS's CIRA profile: kiosk then dials MeshCentral by itself
 * (trusting the root the console added, whatever the operator's pin says), and keeps its set-up
 * across a restart of the bundle that keeps it.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class CiraIT {
    static final int PORT = 51992;
    static final int MC_PORT = 51443;
    static final int MPS_PORT = 51433;
    static final String MPS_PASSWORD = "Cira-Pass1";
    static final String DESKTOP_01 = "6F8C1A52-4B1E-4D6A-9A01-000000000001";
    static final String DESKTOP_02 = "6F8C1A52-4B1E-4D6A-9A01-000000000002";
    static final String KIOSK = "6F8C1A52-4B1E-4D6A-9A01-000000000004";
    /** The MPS password the console gives kiosk (AddMpServer). */
    static final String CONSOLE_MPS_PASSWORD = "Console#Mps42";
    static Path node = Paths.get(System.getProperty("vamt.node.dir", "src/test/node"));
    static MeshCentralServer meshCentral;
    static Path mcData;
    static Path home;
    static Process karaf;
    static String ciraUser;

    @BeforeClass
    public static void start() throws Exception {
        home = RestartIT.freshCopyOfTheDistribution("cira", PORT, PORT + 1, 51181, 51101, 51099, 51444);
        meshCentral = new MeshCentralServer(node, home.getParent().resolve("meshcentral-data"), MC_PORT, MPS_PORT);
        mcData = meshCentral.data;
        meshCentral.create(WsmanClient.PASSWORD);
        ciraUser = meshCentral.addAmtOnlyGroup("ciragroup");

        DistributionFiles.setProperty(home, "etc/org.vamt.redirection.cfg", "port", String.valueOf(PORT + 2));
        DistributionFiles.setProperty(home, "etc/org.vamt.redirection.cfg", "tlsPort", String.valueOf(PORT + 3));
        Files.copy(meshCentral.rootCertificate(), home.resolve("etc/mps-root.pem"));
        String cfg = "etc/org.vamt.cira.cfg";
        DistributionFiles.setProperty(home, cfg, "enabled", "true");
        DistributionFiles.setProperty(home, cfg, "mpsHost", "127.0.0.1");
        DistributionFiles.setProperty(home, cfg, "mpsPort", String.valueOf(MPS_PORT));
        DistributionFiles.setProperty(home, cfg, "user", ciraUser);
        DistributionFiles.setProperty(home, cfg, "password", MPS_PASSWORD);
        DistributionFiles.setProperty(home, cfg, "trustPemFile", "mps-root.pem");
        DistributionFiles.setProperty(home, cfg, "vms", "desktop-0?");
        DistributionFiles.setProperty(home, cfg, "backoffMaxSeconds", "4");
        Files.writeString(home.resolve("etc/users.properties"), "karaf = karaf,_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n",
                java.nio.file.StandardOpenOption.APPEND);
        karaf = RestartIT.startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", WsmanClient.PASSWORD));
    }

    @AfterClass
    public static void stop() throws Exception {
        if (karaf != null) {
            RestartIT.killTree(karaf);
        }
        if (meshCentral != null) {
            meshCentral.stop();
        }
    }

    // ------------------------------------------------------------------ MeshCentral

    static String mcLog() throws IOException {
        return meshCentral.log();
    }

    static int countInMcLog(String text) throws IOException {
        return meshCentral.countInLog(text);
    }

    static String meshctrl(String... args) throws Exception {
        return meshCentral.meshctrl(args);
    }

    static String nodeId(String uuid) {
        return MeshCentralServer.nodeId(uuid);
    }

    static String device(String listing, String uuid) {
        return MeshCentralServer.device(listing, uuid);
    }

    static String jsonField(String json, String name) {
        return MeshCentralServer.jsonField(json, name);
    }

    /** MeshCentral's power state for an AMT PowerState (1 = S0 on, 6 = S5 soft-off), as its AMT manager converts it. */
    static String meshPowerState(int amtPowerState) {
        return switch (amtPowerState) {
            case 2 -> "1";
            case 3 -> "2";
            case 4 -> "3";
            case 5, 6, 8 -> "6";
            case 7 -> "5";
            default -> "?" + amtPowerState;
        };
    }

    /** The power state MeshCentral lists for a device, once its AMT manager has polled it. */
    static String awaitMeshPowerState(String uuid, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        String listing;
        do {
            listing = meshctrl("listdevices", "--json");
            String d = device(listing, uuid);
            String pwr = d == null ? null : jsonField(d, "pwr");
            // 7 is MeshCentral's "Present": the tunnel is up, the AMT manager has not polled the state yet
            if (pwr != null && !"7".equals(pwr)) {
                return pwr;
            }
            Thread.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        fail("MeshCentral shows no power state for " + uuid + ": " + listing);
        return null;
    }

    /** The hardware inventory MeshCentral keeps for a device (meshctrl deviceinfo --raw), once it has one. */
    static String awaitInventory(String uuid, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        String info;
        do {
            info = meshctrl("deviceinfo", "--id", nodeId(uuid), "--raw");
            if (info.contains("\"identifiers\"")) {
                return info;
            }
            Thread.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        fail("MeshCentral has no hardware inventory of " + uuid + ": " + info);
        return null;
    }

    /** Polls meshctrl until both VMs are CIRA-connected (conn bit 2) with their AMT version read through the tunnel. */
    static String awaitConnectedAndManaged(long millis) throws Exception {
        return awaitConnectedAndManaged(millis, DESKTOP_01, DESKTOP_02);
    }

    /** Polls meshctrl until the VMs are CIRA-connected with their AMT version read through the tunnel. */
    static String awaitConnectedAndManaged(long millis, String... uuids) throws Exception {
        String listing = meshCentral.awaitCiraConnected(millis, uuids);
        if (listing == null) {
            fail("MeshCentral does not list " + String.join(", ", uuids) + " as CIRA-connected and managed: "
                    + meshctrl("listdevices", "--json") + "\nvAMT: " + shell("vamt:cira-status"));
        }
        return listing;
    }

    // ------------------------------------------------------------------ vAMT

    /** One shell command through bin/client (ssh, batch mode). */
    static String shell(String command) throws Exception {
        Process p = new ProcessBuilder(home.resolve("bin/client").toString(), "-a", "51101", "-u", "karaf", "-p",
                "karaf", "-b").directory(home.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(command + " did not finish", p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    /** desktop-01's PowerState, asked of vAMT directly on its own endpoint (not through the tunnel). */
    static int powerStateOfDesktop01() throws Exception {
        return powerStateOf("127.0.0.3");
    }

    /** A VM's PowerState, asked of vAMT directly on its own endpoint (not through the tunnel). */
    static int powerStateOf(String address) throws Exception {
        WsmanClient c = new WsmanClient(address, PORT);
        HttpResponse<String> r = c.post(c.enumerateAll(WsmanClient.CIM + "CIM_AssociatedPowerManagementService"));
        Matcher m = Pattern.compile("<[\\w]+:PowerState>(\\d+)<").matcher(r.body());
        assertTrue(r.body(), m.find());
        return Integer.parseInt(m.group(1));
    }

    static void awaitPowerState(int state) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        int now = powerStateOfDesktop01();
        while (now != state && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            now = powerStateOfDesktop01();
        }
        assertEquals("desktop-01's power state after MeshCentral's command through CIRA", state, now);
    }

    /** How often the VMs connected so far (vAMT's log). */
    static int connections() throws IOException {
        return karafLog().split("CIRA VM 'desktop-0[12]': connected to", -1).length - 1;
    }

    static String karafLog() throws IOException {
        return Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ tests

    @Test
    public void a_meshCentralManagesTheVmsThroughTheirTunnels() throws Exception {
        String listing = awaitConnectedAndManaged(60_000);
        for (String uuid : List.of(DESKTOP_01, DESKTOP_02)) {
            String d = device(listing, uuid);
            assertEquals(d, "1", jsonField(d, "mtype"));
            // read through the tunnel: the Server header's version, the VM's Digest realm, the ACM flag
            String direct = new WsmanClient(uuid.equals(DESKTOP_01) ? "127.0.0.3" : "127.0.0.4", PORT)
                    .send(WsmanClient.identify(), null).headers().firstValue("Server").orElseThrow();
            // MeshCentral keeps major.minor.maintenance of "Intel(R) Active Management Technology 16.1.30.2307"
            String version = direct.substring(direct.lastIndexOf(' ') + 1);
            assertTrue(d + " vs " + version, jsonField(d, "ver") != null && !jsonField(d, "ver").isEmpty()
                    && (version + ".").startsWith(jsonField(d, "ver") + "."));
            assertEquals(d, "Digest:" + uuid.replace("-", ""), jsonField(d, "realm"));
            assertEquals(d, "admin", jsonField(d, "user"));
        }
        // MeshCentral's own view, read through the tunnels: each VM's power state (its poll right after the
        // hardware inventory) and the hardware inventory of an "Intel AMT only" group, against vAMT's direct answers
        for (String uuid : List.of(DESKTOP_01, DESKTOP_02)) {
            String address = uuid.equals(DESKTOP_01) ? "127.0.0.3" : "127.0.0.4";
            assertEquals("MeshCentral's power state of " + uuid, meshPowerState(powerStateOf(address)),
                    awaitMeshPowerState(uuid, 60_000));
            String inventory = awaitInventory(uuid, 60_000);
            assertTrue(inventory, inventory.toLowerCase(java.util.Locale.ROOT).contains(
                    "\"product_uuid\": \"" + uuid.toLowerCase(java.util.Locale.ROOT) + "\""));
            WsmanClient direct = new WsmanClient(address, PORT);
            Matcher capacity = Pattern.compile("<\\w+:Capacity>(\\d+)<").matcher(
                    direct.post(direct.enumerateAll(WsmanClient.CIM + "CIM_PhysicalMemory")).body());
            assertTrue("vAMT serves desktop's memory", capacity.find());
            assertTrue(inventory, inventory.matches("(?s).*\"Capacity\": \"?" + capacity.group(1) + "\\b.*"));
        }
        assertTrue("MeshCentral's AMT manager logged in through CIRA: " + mcLog(),
                mcLog().contains("CIRA-Connect NoTLS") && mcLog().contains("Intel AMT connected."));
        // the password typed in clear was sealed at once, and never logged
        String cfg = Files.readString(home.resolve("etc/org.vamt.cira.cfg"));
        assertFalse(cfg, cfg.contains(MPS_PASSWORD));
        assertTrue(cfg, cfg.matches("(?s).*\\npassword\\s*=\\s*aesgcm:.*"));
        assertFalse("the MPS password is never in vAMT's log", karafLog().contains(MPS_PASSWORD));
        String status = shell("vamt:cira-status");
        assertTrue(status, status.matches("(?s).*desktop-01\\s*\\|\\s*connected.*"));
        assertTrue(status, status.matches("(?s).*desktop-02\\s*\\|\\s*connected.*"));
        assertFalse("kiosk is not named by vms = desktop-0?: " + status, status.contains("kiosk"));

        // power through the tunnel; the VM's state is read from vAMT's own endpoint
        assertEquals(2, powerStateOfDesktop01());
        String off = meshctrl("devicepower", "--amtoff", "--id", nodeId(DESKTOP_01));
        assertTrue(off, off.trim().startsWith("ok"));
        awaitPowerState(8);
        String on = meshctrl("devicepower", "--amton", "--id", nodeId(DESKTOP_01));
        assertTrue(on, on.trim().startsWith("ok"));
        awaitPowerState(2);

        // a new MPS password from the shell: sealed into the file, never logged, the tunnels come back with it
        String sealedBefore = Files.readString(home.resolve("etc/org.vamt.cira.cfg"));
        int connectedBefore = connections();
        String changed = shell("vamt:cira-password -p Cira-Pass-2");
        assertTrue(changed, changed.contains("MPS password changed"));
        long deadline = System.currentTimeMillis() + 20_000;
        String sealedAfter = Files.readString(home.resolve("etc/org.vamt.cira.cfg"));
        while (sealedAfter.equals(sealedBefore) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            sealedAfter = Files.readString(home.resolve("etc/org.vamt.cira.cfg"));
        }
        assertTrue(sealedAfter, sealedAfter.matches("(?s).*\\npassword\\s*=\\s*aesgcm:.*")
                && !sealedAfter.contains("Cira-Pass-2") && !sealedAfter.equals(sealedBefore));
        deadline = System.currentTimeMillis() + 60_000;
        while (connections() < connectedBefore + 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue("both VMs logged in again with the new password", connections() >= connectedBefore + 2);
        awaitConnectedAndManaged(60_000);
        assertFalse("the new password is never in vAMT's log", karafLog().contains("Cira-Pass-2"));
    }

    @Test
    public void b_theVmsReconnectAfterTheMpsRestarts() throws Exception {
        int connectedBefore = karafLog().split("CIRA VM 'desktop-0[12]': connected to", -1).length - 1;
        meshCentral.stop();
        long deadline = System.currentTimeMillis() + 30_000;
        String status = shell("vamt:cira-status");
        while (!status.contains("backing off") && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            status = shell("vamt:cira-status");
        }
        assertTrue("with the MPS gone the tunnels back off: " + status, status.contains("backing off"));
        meshCentral.start();
        awaitConnectedAndManaged(60_000);
        int connectedAfter = karafLog().split("CIRA VM 'desktop-0[12]': connected to", -1).length - 1;
        assertTrue("each VM connected again: " + connectedBefore + " -> " + connectedAfter,
                connectedAfter >= connectedBefore + 2);
    }

    @Test
    public void c_aWrongCertificatePinMeansNoConnectionAndNoLogin() throws Exception {
        int logins = countInMcLog("USERAUTH_REQUEST");
        String cfg = "etc/org.vamt.cira.cfg";
        DistributionFiles.setProperty(home, cfg, "trustPemFile", "");
        DistributionFiles.setProperty(home, cfg, "trustSha256", "00".repeat(32));
        long deadline = System.currentTimeMillis() + 60_000;
        while (!karafLog().contains("is not trusted, not connected, no credentials sent")
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        String log = karafLog();
        assertTrue("a clear log line names the refused certificate",
                log.matches("(?s).*CIRA VM 'desktop-0[12]': the MPS 127\\.0\\.0\\.1:" + MPS_PORT + " is not trusted, "
                        + "not connected, no credentials sent: the MPS's certificate is not trusted: no certificate "
                        + "of the MPS's chain matches the SHA-256 pin \\(leaf SHA-256 [0-9a-f]{64}, subject "
                        + "CN=mc\\.cira\\.test\\).*"));
        String status = shell("vamt:cira-status");
        assertTrue(status, status.contains("backing off") && status.contains("not trusted"));
        // the old tunnels were closed by the reconfiguration; none comes back, and no login reached the MPS
        deadline = System.currentTimeMillis() + 20_000;
        String listing;
        boolean anyConnected;
        do {
            listing = meshctrl("listdevices", "--json");
            anyConnected = false;
            for (String uuid : List.of(DESKTOP_01, DESKTOP_02)) {
                String d = device(listing, uuid);
                String conn = d == null ? null : jsonField(d, "conn");
                anyConnected |= conn != null && (Integer.parseInt(conn) & 2) != 0;
            }
        } while (anyConnected && System.currentTimeMillis() < deadline);
        assertFalse("no CIRA connection: " + listing, anyConnected);
        assertEquals("no USERAUTH_REQUEST (no password) reached the MPS", logins, countInMcLog("USERAUTH_REQUEST"));
    }

    @Test
    public void d_aConsoleSetsCiraUpOnTheLanAndTheVmDialsByItself() throws Exception {
        assertFalse("kiosk is not named by vms = desktop-0?", shell("vamt:cira-status").contains("kiosk"));
        String before = meshctrl("listdevices", "--json");
        assertEquals("MeshCentral knows no kiosk yet", null, device(before, KIOSK));
        // DMT RPS's CIRA profile, built by Intel's wsman-messages, on kiosk's own LAN endpoint
        List<String> lines = RealClientsIT.runClient("kiosk", "dmt-session.js", "127.0.0.5", PORT,
                "cira:127.0.0.1:" + MPS_PORT + ":" + ciraUser + ":" + CONSOLE_MPS_PASSWORD + ":"
                        + mcData.resolve("root-cert-public.crt").toAbsolutePath());
        String r = lines.get(0);
        assertEquals(r, "0", RealClientsIT.field(r, "addTrustedRootCertificate"));
        assertEquals(r, "0", RealClientsIT.field(r, "addMpServer"));
        assertEquals(r, "Intel(r) AMT:Management Presence Server 0", RealClientsIT.field(r, "mps"));
        assertEquals(r, "2", RealClientsIT.field(r, "appliesToMps"));
        assertEquals(r, "0", RealClientsIT.field(r, "userInitiated"));
        assertTrue(r, RealClientsIT.field(r, "detectionStrings").endsWith(".com"));

        // kiosk dials by itself: MeshCentral lists it as CIRA-connected and reads its version through the tunnel
        String listing = awaitConnectedAndManaged(60_000, KIOSK);
        String d = device(listing, KIOSK);
        assertEquals(d, "Digest:" + KIOSK.replace("-", ""), jsonField(d, "realm"));
        String status = shell("vamt:cira-status");
        assertTrue(status, status.matches("(?s).*kiosk\\s*\\|\\s*connected.*"));
        assertTrue(status, status.contains(ciraUser + "@127.0.0.1:" + MPS_PORT));
        assertFalse("the console's MPS password is never in vAMT's log", karafLog().contains(CONSOLE_MPS_PASSWORD));
        // read back as AMT shows it: the tunnel is up; the password is write-only
        WsmanClient kiosk = new WsmanClient("127.0.0.5", PORT);
        String service = kiosk.post(kiosk.get(RealGuestIT.AMT + "AMT_RemoteAccessService", null)).body();
        assertTrue(service, service.matches("(?s).*<\\w+:IsRemoteTunnelConnected>true<.*"));
        String credentials = kiosk.post(kiosk.enumerateAll(RealGuestIT.AMT + "AMT_MPSUsernamePassword")).body();
        assertTrue(credentials, credentials.contains(">" + ciraUser + "<") && !credentials.contains("Secret"));

        // the set-up is the VM's own state: the bundle that keeps it restarts, kiosk's tunnel closes and comes back
        int connected = karafLog().split("CIRA VM 'kiosk': connected to", -1).length - 1;
        String restarted = shell("bundle:restart vamt-provider-remoteaccess");
        assertFalse(restarted, restarted.toLowerCase(java.util.Locale.ROOT).contains("error"));
        long deadline = System.currentTimeMillis() + 60_000;
        while (karafLog().split("CIRA VM 'kiosk': connected to", -1).length - 1 <= connected
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue("kiosk dialled again from its kept set-up: " + shell("vamt:cira-status"),
                karafLog().split("CIRA VM 'kiosk': connected to", -1).length - 1 > connected);
        awaitConnectedAndManaged(60_000, KIOSK);
        // vamt-cira and the set-up classes refer to each other (profile source / tunnels) without a DS cycle
        assertFalse("no service cycle between vamt-cira and vamt-provider-remoteaccess",
                karafLog().contains("Circular reference detected"));
    }
}
