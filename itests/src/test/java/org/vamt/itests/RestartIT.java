package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Test;
import org.vamt.security.digest.DigestMath;

/**
 * vAMT killed with {@code kill -9} (the whole {@code bin/karaf server} process tree, no shutdown
 * hook runs) and started again loses nothing a console relies on: a user added through
 * {@code AMT_AuthorizationService} still logs in on its VM and still not on another, the audit log
 * still holds its records, every VM still answers on the same address, and the admin password is
 * the one of the first start (the second start offers another {@code VAMT_ADMIN_PASSWORD}, which
 * must be ignored).
 *
 * <p>Runs on its own copy of the unpacked distribution ({@code target/restart}) with its own ports,
 * so {@link RealClientsIT} is unaffected. Boot and isolation settings are not asserted here: vAMT
 * keeps them in libvirt domain metadata, which the libvirt <em>test</em> driver of the demo VMs
 * forgets when the process ends (a real {@code qemu:///system} keeps them with the domain).
 */
public class RestartIT {
    static final int PORT = 47992;
    static final String PASSWORD = WsmanClient.PASSWORD;
    static final String AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/";
    static final String CIM = WsmanClient.CIM;
    static final String USER = "helpdesk";
    static final String USER_PASSWORD = "H3lpdesk!pass";

    static final String DESKTOP_01 = "127.0.0.3";
    static final int TLS_PORT = PORT + 1;
    static final String DESKTOP_01_UUID = "6F8C1A52-4B1E-4D6A-9A01-000000000001";
    static final String KIOSK = "127.0.0.5";

    Path home;
    Process karaf;

    @After
    public void killWhatIsLeft() throws Exception {
        if (karaf != null) {
            killTree(karaf);
        }
    }

    @Test
    public void afterKillMinus9UsersAuditLogAddressesAndAdminPasswordSurvive() throws Exception {
        home = freshCopyOfTheDistribution();
        long start = System.nanoTime();
        karaf = startKaraf(PASSWORD);

        // ---- before: a user on desktop-01, a power action and a failed login (audited), the address map
        WsmanClient admin = new WsmanClient(DESKTOP_01, PORT);
        String realm = "Digest:" + DESKTOP_01_UUID.replace("-", "");
        HttpResponse<String> added = untilAnswered(admin, invoke(AMT + "AMT_AuthorizationService",
                "AddUserAclEntryEx", "<p:DigestUsername>" + USER + "</p:DigestUsername><p:DigestPassword>"
                        + DigestMath.ha1(USER, realm, USER_PASSWORD) + "</p:DigestPassword>"
                        + "<p:AccessPermission>2</p:AccessPermission><p:Realms>4</p:Realms><p:Realms>5</p:Realms>"));
        assertEquals(added.body(), 200, added.statusCode());
        assertEquals(added.body(), "0", value(added.body(), "ReturnValue"));
        HttpResponse<String> reset = admin.post(invoke(CIM + "CIM_PowerManagementService", "RequestPowerStateChange",
                "<p:PowerState>10</p:PowerState>"));
        assertEquals(reset.body(), "0", value(reset.body(), "ReturnValue"));
        assertEquals(401, new WsmanClient(DESKTOP_01, PORT, USER, "Wrong-guess1!").post(generalSettings()).statusCode());
        assertUserLogsInOnlyOnDesktop01();
        List<String> auditBefore = auditRecords(admin);
        assertTrue("AddUserAclEntryEx (16/2), the reset (17/3) and the failed login (16/5) are audited: "
                + describe(auditBefore), describe(auditBefore).containsAll(List.of("16/2 admin", "17/3 admin",
                "16/5 " + USER)));
        Map<String, String> endpointsBefore = endpointMap();
        assertEquals("four demo VMs: " + endpointsBefore, 4, endpointsBefore.size());
        assertHeapBoundAndNoTlsRenegotiation(karaf);

        // ---- kill -9, start again with a different initial admin password on offer
        killTree(karaf);
        karaf = startKaraf("Changed-Passw0rd#");

        // ---- after
        WsmanClient adminAgain = new WsmanClient(DESKTOP_01, PORT);
        List<String> auditAfter = auditRecords(adminAgain, true);
        assertEquals("the audit log, record by record", auditBefore, auditAfter);
        assertUserLogsInOnlyOnDesktop01();
        assertEquals("the admin password of the first start is kept", 401,
                new WsmanClient(DESKTOP_01, PORT, "admin", "Changed-Passw0rd#").post(generalSettings()).statusCode());
        assertEquals(endpointsBefore, endpointMap());
        for (Map.Entry<String, String> e : endpointsBefore.entrySet()) {
            String address = e.getValue();
            WsmanClient client = new WsmanClient(address, PORT);
            assertEquals("Identify at " + address, 200, client.send(WsmanClient.identify(), null).statusCode());
            HttpResponse<String> challenge = client.send(generalSettings(), null);
            assertEquals(401, challenge.statusCode());
            String expectedRealm = "Digest:" + e.getKey().replace("-", "").toUpperCase(Locale.ROOT);
            assertTrue("VM " + e.getKey() + " answers at " + address + " again: "
                            + challenge.headers().firstValue("WWW-Authenticate").orElse(""),
                    challenge.headers().firstValue("WWW-Authenticate").orElse("")
                            .startsWith("Digest realm=\"" + expectedRealm + "\""));
            assertEquals("admin at " + address, 200, client.post(generalSettings()).statusCode());
        }
        System.out.printf("RestartIT: two starts, a kill -9 and all checks in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    // ------------------------------------------------------------------ checks

    void assertUserLogsInOnlyOnDesktop01() throws Exception {
        HttpResponse<String> onDesktop = untilAnswered(new WsmanClient(DESKTOP_01, PORT, USER, USER_PASSWORD),
                generalSettings());
        assertEquals(onDesktop.body(), 200, onDesktop.statusCode());
        HttpResponse<String> power = new WsmanClient(DESKTOP_01, PORT, USER, USER_PASSWORD)
                .post(get(CIM + "CIM_PowerManagementService"));
        assertEquals("the Remote Control realm is kept: " + power.body(), 200, power.statusCode());
        HttpResponse<String> audit = new WsmanClient(DESKTOP_01, PORT, USER, USER_PASSWORD)
                .post(invoke(AMT + "AMT_AuditLog", "ReadRecords", "<p:StartIndex>1</p:StartIndex>"));
        assertEquals("no Audit Log realm was granted", 400, audit.statusCode());
        assertEquals("granted desktop-01 only", 401,
                new WsmanClient(KIOSK, PORT, USER, USER_PASSWORD).post(generalSettings()).statusCode());
    }

    /** All of desktop-01's audit records (base64), read ten at a time as consoles do. */
    static List<String> auditRecords(WsmanClient admin) throws Exception {
        return auditRecords(admin, false);
    }

    static List<String> auditRecords(WsmanClient admin, boolean waitForProvider) throws Exception {
        List<String> records = new ArrayList<>();
        int total;
        do {
            String read = invoke(AMT + "AMT_AuditLog", "ReadRecords",
                    "<p:StartIndex>" + (records.size() + 1) + "</p:StartIndex>");
            HttpResponse<String> r = waitForProvider && records.isEmpty() ? untilAnswered(admin, read) : admin.post(read);
            assertEquals(r.body(), 200, r.statusCode());
            assertEquals(r.body(), "0", value(r.body(), "ReturnValue"));
            total = Integer.parseInt(value(r.body(), "TotalRecordCount"));
            Matcher m = Pattern.compile("<\\w+:EventRecords>([^<]*)</\\w+:EventRecords>").matcher(r.body());
            int before = records.size();
            while (m.find()) {
                records.add(m.group(1));
            }
            assertTrue("ReadRecords returned no records before the total: " + r.body(), records.size() > before
                    || records.size() >= total);
        } while (records.size() < total);
        return records;
    }

    /** "app/event initiator" of each AMT audit record. */
    static List<String> describe(List<String> records) {
        List<String> out = new ArrayList<>();
        for (String b64 : records) {
            byte[] r = Base64.getDecoder().decode(b64);
            int app = ((r[0] & 0xFF) << 8) | (r[1] & 0xFF);
            int event = ((r[2] & 0xFF) << 8) | (r[3] & 0xFF);
            int n = r[5] & 0xFF;
            out.add(app + "/" + event + " " + new String(r, 6, n, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The endpoints the running vAMT announced: uuid (lower case) → address. */
    Map<String, String> endpointMap() throws IOException {
        return DistributionFiles.endpointMap(home);
    }

    // ------------------------------------------------------------------ the distribution

    /** target/restart/&lt;dist&gt;: a fresh copy of the unpacked distribution with this test's ports. */
    static Path freshCopyOfTheDistribution() throws IOException {
        return freshCopyOfTheDistribution("restart", PORT, TLS_PORT, 47181, 47101, 41199, 44445);
    }

    /** A copy of the unpacked distribution under {@code target/<name>}, first start, with these ports. */
    static Path freshCopyOfTheDistribution(String name, int port, int tlsPort, int httpPort, int sshPort,
                                           int rmiRegistryPort, int rmiServerPort) throws IOException {
        Path e2e = Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e"));
        Path source;
        try (Stream<Path> s = Files.list(e2e)) {
            source = s.filter(p -> Files.isDirectory(p.resolve("bin"))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unpacked distribution in " + e2e));
        }
        Path restart = e2e.resolveSibling(name);
        DistributionFiles.deleteTree(restart);
        Files.createDirectories(restart);
        Path home = restart.resolve(source.getFileName());
        try (Stream<Path> s = Files.walk(source)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = source.relativize(p);
                if (rel.startsWith("data")) {
                    continue;   // RealClientsIT's runtime state, if it ran before
                }
                Files.copy(p, home.resolve(rel.toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        // state an earlier run of another test may have left in etc/: this must be a first start
        for (String state : List.of("vamt-users.properties", "vamt-users.key", "vamt-endpoints.properties")) {
            Files.deleteIfExists(home.resolve("etc").resolve(state));
        }
        // and per-VM endpoint files of earlier versions: another test's VMs would hold the first addresses
        try (Stream<Path> s = Files.list(home.resolve("etc"))) {
            for (Path endpoint : (Iterable<Path>) s.filter(p -> p.getFileName().toString().startsWith("org.vamt.endpoint-"))::iterator) {
                Files.delete(endpoint);
            }
        }
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "port", String.valueOf(port));
        DistributionFiles.setProperty(home, "etc/org.vamt.wsman.cfg", "tlsPort", String.valueOf(tlsPort));
        DistributionFiles.setProperty(home, "etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port",
                String.valueOf(httpPort));
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.shell.cfg", "sshPort", String.valueOf(sshPort));
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiRegistryPort",
                String.valueOf(rmiRegistryPort));
        DistributionFiles.setProperty(home, "etc/org.apache.karaf.management.cfg", "rmiServerPort",
                String.valueOf(rmiServerPort));
        return home;
    }

    /**
     * bin/karaf as an operator runs it: the heap bound of bin/setenv (JAVA_MAX_MEM) reaches the JVM,
     * and a TLS 1.2 client cannot renegotiate (issue 17: Karaf's Unix scripts ignored JAVA_MAX_MEM,
     * and client renegotiation was accepted).
     */
    private void assertHeapBoundAndNoTlsRenegotiation(Process karaf) throws Exception {
        boolean bounded = java.util.stream.Stream.concat(java.util.stream.Stream.of(karaf.toHandle()),
                        karaf.descendants())
                .flatMap(h -> h.info().arguments().stream()).flatMap(java.util.Arrays::stream)
                .anyMatch("-Xmx512M"::equals);
        assertTrue("the JVM runs with -Xmx512M (JAVA_MAX_MEM's default)", bounded);

        // the TLS listener opens when the TLS identity is there, which on a first start is generated meanwhile
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try (java.net.Socket probe = new java.net.Socket(DESKTOP_01, TLS_PORT)) {
                break;
            } catch (IOException notYet) {
                if (System.currentTimeMillis() > deadline) {
                    throw notYet;
                }
                Thread.sleep(200);
            }
        }
        java.security.KeyStore own = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(home.resolve("etc/vamt-tls.p12"))) {
            own.load(in, Files.readString(home.resolve("etc/vamt-tls.password")).trim().toCharArray());
        }
        java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("vamt", own.getCertificate("vamt"));
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                .createSocket(DESKTOP_01, TLS_PORT)) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setSoTimeout(10_000);
            s.startHandshake();
            boolean refused;
            try {
                s.startHandshake();   // on an established TLS 1.2 connection: a client-initiated renegotiation
                s.getOutputStream().write(("POST /wsman HTTP/1.1\r\nHost: " + DESKTOP_01 + "\r\nContent-Length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                refused = s.getInputStream().read() < 0;
            } catch (IOException alert) {
                refused = true;
            }
            assertTrue("TLS renegotiation is refused", refused);
        }
    }

    Process startKaraf(String offeredAdminPassword) throws Exception {
        return startKaraf(home, PORT, Map.of("VAMT_ADMIN_PASSWORD", offeredAdminPassword));
    }

    /** {@code bin/karaf server} in {@code home} with these environment variables, once it answers Identify. */
    static Process startKaraf(Path home, int port, Map<String, String> environment) throws Exception {
        return startKaraf(home, port, environment, 120);
    }

    /** bin/karaf server, then Identify until it answers; fails after {@code seconds}. */
    static Process startKaraf(Path home, int port, Map<String, String> environment, int seconds) throws Exception {
        WsmanClient probe = new WsmanClient("127.0.0.2", port);
        try {
            probe.send(WsmanClient.identify(), null);
            fail("something already answers on port " + port + ": a stale vAMT? Stop it first.");
        } catch (IOException expected) {
            // the port is free
        }
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("karaf-console.log").toFile()));
        pb.environment().putAll(environment);
        long start = System.nanoTime();
        Process p = pb.start();
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (true) {
            try {
                if (probe.send(WsmanClient.identify(), null).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                killTree(p);
                fail("vAMT did not answer Identify within " + seconds + " s; see " + home.resolve("karaf-console.log")
                        + " and " + home.resolve("data/log/karaf.log"));
            }
            Thread.sleep(100);
        }
        System.out.printf("RestartIT: start to first Identify answer: %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return p;
    }

    /** SIGKILL to bin/karaf and every process below it (the JVM is a child of the script, not exec'd). */
    static void killTree(Process root) throws Exception {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(root.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : tree) {
            p.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ requests

    /** Posts until the answer is no longer "class not served yet" (providers come up after the listener). */
    static HttpResponse<String> untilAnswered(WsmanClient client, String envelope) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        HttpResponse<String> r = client.post(envelope);
        while ((r.statusCode() == 400 && r.body().contains("DestinationUnreachable")
                || r.statusCode() == 503) && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
            r = client.post(envelope);
        }
        return r;
    }

    static String envelope(String action, String resourceUri, String body) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + action + "</a:Action><a:To>/wsman</a:To><w:ResourceURI>" + resourceUri
                + "</w:ResourceURI><a:MessageID>1</a:MessageID></s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    }

    static String get(String resourceUri) {
        return envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", resourceUri, "");
    }

    static String generalSettings() {
        return get(AMT + "AMT_GeneralSettings");
    }

    static String invoke(String resourceUri, String method, String arguments) {
        String className = resourceUri.substring(resourceUri.lastIndexOf('/') + 1);
        if (className.equals("CIM_PowerManagementService")) {
            arguments += "<p:ManagedElement><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/"
                    + "anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>" + CIM + "CIM_ComputerSystem"
                    + "</w:ResourceURI><w:SelectorSet><w:Selector Name=\"Name\">ManagedSystem</w:Selector>"
                    + "</w:SelectorSet></a:ReferenceParameters></p:ManagedElement>";
        }
        return envelope(resourceUri + "/" + method, resourceUri, "<p:" + method + "_INPUT xmlns:p=\"" + resourceUri
                + "\">" + arguments + "</p:" + method + "_INPUT>");
    }

    static String value(String xml, String element) {
        Matcher m = Pattern.compile("<\\w+:" + element + ">([^<]*)</\\w+:" + element + ">").matcher(xml);
        if (!m.find()) {
            throw new AssertionError("no " + element + " in " + xml);
        }
        return m.group(1);
    }
}
