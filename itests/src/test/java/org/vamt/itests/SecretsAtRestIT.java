package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Method;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Issue 16's acceptance for secrets at rest, in the real distribution: a console sets
 * IPS_KVMRedirectionSettingData.RFBPassword through WS-Management; vAMT must be able to read it
 * back (it is sealed, not hashed), but it is readable neither in any VM's domain XML (what
 * {@code virsh dumpxml} shows) nor in any file under Karaf's etc/ or data/ (configuration, the key
 * files, logs, caches). The same for the MPS password a console gives AddMpServer (issue 20).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SecretsAtRestIT {
    static final int PORT = 64992;
    static final String HOST = "127.0.0.3";   // desktop-01
    static final String UUID = "6f8c1a52-4b1e-4d6a-9a01-000000000001";
    static final String IPS = "http://intel.com/wbem/wscim/1/ips-schema/1/";
    /** Distinctive, so a match anywhere is this password and nothing else. */
    static final String RFB_PASSWORD = "Qz7#vKrW";
    static final String MPS_PASSWORD = "Mp5#Wq9xTzL";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return KarafContainer.options("secrets", PORT, "64181", "64101", "64099", "64444");
    }

    private static String put(String resourceUri, String body) {
        return WsmanClient.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Put", resourceUri, body);
    }

    private Object hypervisor() {
        ServiceReference<?> ref = context.getServiceReference("org.vamt.hypervisor.Hypervisor");
        assertTrue("a Hypervisor service", ref != null);
        return context.getService(ref);
    }

    @Test
    public void theRfbPasswordIsInNeitherTheDomainXmlNorAnyFileUnderEtcOrData() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        String settings = IPS + "IPS_KVMRedirectionSettingData";
        HttpResponse<String> r = client.awaitStatus(put(settings, "<p:IPS_KVMRedirectionSettingData xmlns:p=\""
                + settings + "\"><p:RFBPassword>" + RFB_PASSWORD + "</p:RFBPassword>"
                + "</p:IPS_KVMRedirectionSettingData>"), 200);
        assertFalse("write-only: not echoed", r.body().contains(RFB_PASSWORD));

        // it is kept with the VM, sealed
        Object hv = hypervisor();
        Method readState = hv.getClass().getMethod("readState", String.class, String.class, Set.class);
        Object entry = readState.invoke(hv, UUID, "redirection", Set.of());
        String json = (String) entry.getClass().getMethod("json").invoke(entry);
        assertTrue("stored sealed: " + json, json != null && json.contains("\"rfbPassword\":\"aesgcm:"));
        assertFalse(json.contains(RFB_PASSWORD));

        // not in any VM's domain XML
        Method definitionXml = hv.getClass().getMethod("definitionXml", String.class);
        List<?> machines = (List<?>) hv.getClass().getMethod("listMachines").invoke(hv);
        assertEquals(4, machines.size());
        for (Object m : machines) {
            String uuid = (String) m.getClass().getMethod("uuid").invoke(m);
            String xml = (String) definitionXml.invoke(hv, uuid);
            assertFalse("the RFB password is readable in the domain XML of " + uuid, xml.contains(RFB_PASSWORD));
        }

        // the sealing key is this bundle's own file under etc/, owner-only, and holds no password
        Path key = Paths.get(System.getProperty("karaf.etc")).resolve("vamt-redirection.key");
        assertTrue(key + " exists", Files.isRegularFile(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));

        // nowhere under etc/ or data/ (logs, configuration, caches), in any common encoding; nor the admin
        // password the distribution was first started with (users file: sealed)
        assertInNoFile("the RFB or the admin password", RFB_PASSWORD, WsmanClient.PASSWORD);
    }

    /**
     * The CIRA password a console gives AddMpServer (issue 20): write-only, sealed in the VM's state
     * (never in its domain XML in clear), under this bundle's own owner-only key, and in no file
     * under etc/ or data/ (the log included).
     */
    @Test
    public void theMpsPasswordIsWriteOnlyAndInNoFileNorDomainXml() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        String service = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_RemoteAccessService";
        HttpResponse<String> r = client.awaitStatus(WsmanClient.envelope(service + "/AddMpServer", service,
                "<p:AddMpServer_INPUT xmlns:p=\"" + service + "\"><p:AccessInfo>127.0.0.1</p:AccessInfo>"
                + "<p:InfoFormat>3</p:InfoFormat><p:Port>64433</p:Port><p:AuthMethod>2</p:AuthMethod>"
                + "<p:Username>secrets</p:Username><p:Password>" + MPS_PASSWORD + "</p:Password>"
                + "</p:AddMpServer_INPUT>"), 200);
        assertTrue(r.body(), r.body().matches("(?s).*<\\w+:ReturnValue>0<.*"));
        assertFalse(r.body().contains(MPS_PASSWORD));
        String credentials = client.post(client.enumerateAll(
                "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_MPSUsernamePassword")).body();
        assertTrue(credentials, credentials.contains(">secrets<"));
        assertFalse("Secret is write-only: " + credentials, credentials.contains(MPS_PASSWORD)
                || credentials.contains("Secret"));

        Object hv = hypervisor();
        Method readState = hv.getClass().getMethod("readState", String.class, String.class, Set.class);
        Object entry = readState.invoke(hv, UUID, "cira", Set.of());
        String json = (String) entry.getClass().getMethod("json").invoke(entry);
        assertTrue("stored sealed: " + json, json != null && json.contains("\"sealedPassword\":\"aesgcm:"));
        assertFalse(json.contains(MPS_PASSWORD));
        Method definitionXml = hv.getClass().getMethod("definitionXml", String.class);
        for (Object m : (List<?>) hv.getClass().getMethod("listMachines").invoke(hv)) {
            String uuid = (String) m.getClass().getMethod("uuid").invoke(m);
            assertFalse("the MPS password in the domain XML of " + uuid,
                    ((String) definitionXml.invoke(hv, uuid)).contains(MPS_PASSWORD));
        }
        Path key = Paths.get(System.getProperty("karaf.etc")).resolve("vamt-remoteaccess.key");
        assertTrue(key + " exists", Files.isRegularFile(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertInNoFile("the MPS password", MPS_PASSWORD);
    }

    /** No file under Karaf's etc/ or data/ holds any of {@code secrets}, in ASCII, UTF-16LE or UTF-16BE. */
    private static void assertInNoFile(String what, String... secrets) throws Exception {
        Path etc = Paths.get(System.getProperty("karaf.etc"));
        Path data = Paths.get(System.getProperty("karaf.data"));
        List<String> found = new ArrayList<>();
        int files = 0;
        // bytes as ISO-8859-1 text, one char per byte, so a plain substring search finds any byte sequence
        List<String> needles = new ArrayList<>();
        for (String secret : secrets) {
            for (java.nio.charset.Charset cs : List.of(StandardCharsets.US_ASCII, StandardCharsets.UTF_16LE,
                    StandardCharsets.UTF_16BE)) {
                needles.add(new String(secret.getBytes(cs), StandardCharsets.ISO_8859_1));
            }
        }
        for (Path root : List.of(etc, data)) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                    String bytes;
                    try {
                        bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    } catch (java.io.IOException gone) {
                        continue;   // a temporary file removed while walking
                    }
                    files++;
                    if (needles.stream().anyMatch(bytes::contains)) {
                        found.add(p.toString());
                    }
                }
            }
        }
        assertTrue("scanned the files under etc/ and data/: " + files, files > 50);
        assertEquals("files holding " + what, List.of(), found);
    }
}
