package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.net.http.HttpResponse;
import java.util.Arrays;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Boots the real vAMT distribution in Karaf and talks to it over HTTP from inside the container:
 * the version answer, and providers arriving and leaving at runtime.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VamtKarafIT {
    static final int PORT = 26992;
    static final String HOST = "127.0.0.2";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return KarafContainer.options("exam", PORT, 2);
    }

    @Test
    public void identifyAndVersionAnswer() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        HttpResponse<String> identify = client.awaitStatus(WsmanClient.identify(), 200);
        assertTrue(identify.body(), identify.body().contains("<b:ProductVersion>AMT 16.1</b:ProductVersion>"));
        HttpResponse<String> version = client.awaitStatus(
                client.get(WsmanClient.CIM + "CIM_SoftwareIdentity", "<w:Selector Name=\"InstanceID\">AMT</w:Selector>"),
                200);
        assertTrue(version.body(), version.body().contains("<g:VersionString>16.1.30</g:VersionString>"));
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307",
                version.headers().firstValue("Server").orElse(""));
    }

    /**
     * The whole MOF path: the processor bundle carries the paper's Processor class as MOF; dropped
     * into deploy/, the class joins the schema and answers; removed, the class is gone again.
     */
    @Test
    public void providerWithItsOwnMofHotDeploysFromTheDeployFolder() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        String processors = "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/Processor";
        client.awaitStatus(client.enumerateAll(processors), 200);
        Bundle installed = bundle("vamt-provider-processor");
        assertNotNull("processor provider bundle installed", installed);
        String location = installed.getLocation();
        installed.uninstall();
        HttpResponse<String> gone = client.awaitStatus(client.enumerateAll(processors), 400);
        assertTrue(gone.body(), gone.body().contains("DestinationUnreachable"));

        java.nio.file.Path home = java.nio.file.Paths.get(System.getProperty("karaf.home"));
        String version = System.getProperty("vamt.version", "0.1.0-SNAPSHOT");
        java.nio.file.Path jar = home.resolve("system/org/vamt/vamt-provider-processor/" + version
                + "/vamt-provider-processor-" + version + ".jar");
        java.nio.file.Path dropped = home.resolve("deploy/vamt-provider-processor.jar");
        java.nio.file.Files.copy(jar, dropped, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        HttpResponse<String> back = client.awaitStatus(client.enumerateAll(processors), 200);
        assertTrue(back.body(), back.body().contains("<h:Number>0</h:Number>"));

        java.nio.file.Files.delete(dropped);
        client.awaitStatus(client.enumerateAll(processors), 400);
        // The provider's service goes when the bundle stops, a moment before File Install uninstalls
        // it; installing the same symbolic name and version in between is refused as not unique.
        long deadline = System.currentTimeMillis() + 60_000;
        while (bundle("vamt-provider-processor") != null) {
            assertTrue("File Install did not uninstall the deleted provider", System.currentTimeMillis() < deadline);
            Thread.sleep(100);
        }
        context.installBundle(location).start();
        client.awaitStatus(client.enumerateAll(processors), 200);
    }

    /**
     * One check over every class the CIMOM serves, on a running and a shut-off VM: each answers
     * 200 or a 400 fault, and every answer keeps MeshCentral's XML rules.
     */
    @Test
    public void everyServedClassFollowsMeshCentralOutputRules() throws Exception {
        WsmanClient first = new WsmanClient("127.0.0.2", PORT);
        first.awaitStatus(first.enumerateAll(WsmanClient.CIM + "CIM_SoftwareIdentity"), 200);
        org.vamt.cim.spi.CimObjectManager cimom = context.getService(
                context.getServiceReference(org.vamt.cim.spi.CimObjectManager.class));
        java.util.Set<String> classes = cimom.servedClasses();
        assertTrue("inventory, power, settings, software and processor classes are served: " + classes,
                classes.size() >= 20);
        java.util.List<String> problems = new java.util.ArrayList<>();
        int answers = 0;
        for (String host : new String[] {"127.0.0.2", "127.0.0.3"}) {
            WsmanClient client = new WsmanClient(host, PORT);
            for (String c : classes) {
                String uri = (c.startsWith("AMT_") ? "http://intel.com/wbem/wscim/1/amt-schema/1/"
                        : c.startsWith("IPS_") ? "http://intel.com/wbem/wscim/1/ips-schema/1/"
                        : c.startsWith("CIM_") ? WsmanClient.CIM : "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/") + c;
                for (String request : new String[] {client.enumerateAll(uri), client.get(uri, null)}) {
                    HttpResponse<String> r = client.post(request);
                    answers++;
                    if (r.statusCode() != 200 && r.statusCode() != 400) {
                        problems.add(host + " " + c + ": HTTP " + r.statusCode());
                    }
                    MeshCentralXmlRules.violations(r.body()).forEach(v -> problems.add(host + " " + c + ": " + v));
                }
            }
        }
        assertTrue(answers + " answers checked; problems: " + problems, problems.isEmpty());
    }

    @Test
    public void powerProviderArrivesAndLeavesAtRuntime() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        String getService = client.get(WsmanClient.CIM + "CIM_PowerManagementService", null);
        client.awaitStatus(getService, 200);

        Bundle power = bundle("vamt-provider-power");
        assertNotNull("power provider bundle installed", power);
        String location = power.getLocation();
        power.uninstall();
        HttpResponse<String> gone = client.awaitStatus(client.get(WsmanClient.CIM + "CIM_PowerManagementService", null),
                400);
        assertTrue(gone.body(), gone.body().contains("DestinationUnreachable"));

        Bundle again = context.installBundle(location);
        again.start();
        HttpResponse<String> back = client.awaitStatus(client.get(WsmanClient.CIM + "CIM_PowerManagementService", null),
                200);
        assertTrue(back.body(), back.body().contains("Intel(r) AMT Power Management Service"));

        again.uninstall();
        client.awaitStatus(client.get(WsmanClient.CIM + "CIM_PowerManagementService", null), 400);
        // Leave the container as we found it.
        context.installBundle(location).start();
        client.awaitStatus(client.get(WsmanClient.CIM + "CIM_PowerManagementService", null), 200);
    }

    /**
     * An audited event that happens while the audit log bundle is not there (a slow start, an
     * upgrade of that bundle) is still in the log once it is back: the failed login below.
     */
    @Test
    public void auditEventsWhileTheAuditLogBundleIsAwayReachItWhenItReturns() throws Exception {
        WsmanClient admin = new WsmanClient(HOST, PORT);
        long before = failedAdminLogins(admin);
        Bundle logs = bundle("vamt-provider-logs");
        assertNotNull("audit log provider bundle installed", logs);
        logs.stop();
        try {
            admin.awaitStatus(RestartIT.invoke(RestartIT.AMT + "AMT_AuditLog", "ReadRecords",
                    "<p:StartIndex>1</p:StartIndex>"), 400);
            assertEquals("a wrong password is refused", 401,
                    new WsmanClient(HOST, PORT, "admin", "Wrong-guess1!").post(RestartIT.generalSettings()).statusCode());
        } finally {
            logs.start();
        }
        assertEquals("the failed login made while the audit log was away is recorded", before + 1,
                failedAdminLogins(admin));
    }

    /** The audit log's invalid-credentials records (16/5) for admin. */
    static long failedAdminLogins(WsmanClient admin) throws Exception {
        return RestartIT.describe(RestartIT.auditRecords(admin, true)).stream().filter("16/5 admin"::equals).count();
    }

    /** An installed bundle by symbolic name (with or without the {@code org.vamt.} prefix), or null. */
    Bundle bundle(String name) {
        return Arrays.stream(context.getBundles())
                .filter(b -> name.equals(b.getSymbolicName()) || ("org.vamt." + name).equals(b.getSymbolicName()))
                .findFirst().orElse(null);
    }

    /**
     * A provider that goes away while it is serving a request (its bundle stopped mid-call): the
     * client still gets an answer, not a hang, and the next request goes to the provider left.
     */
    @Test
    public void aProviderStoppedMidRequestAnswersAndTheNextRequestFindsTheOtherProvider() throws Exception {
        WsmanClient client = new WsmanClient(HOST, PORT);
        String chips = client.enumerateAll(WsmanClient.CIM + "CIM_Chip");
        client.awaitStatus(chips, 200);
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        org.vamt.cim.spi.CimProvider stopping = (ctx, className) -> {
            entered.countDown();
            try {
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // what a provider whose dependencies were just deactivated typically does
            throw new IllegalStateException("provider stopped");
        };
        java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
        props.put(org.vamt.cim.spi.CimProvider.CLASSES, "CIM_Chip");
        props.put(org.osgi.framework.Constants.SERVICE_RANKING, 1000);
        org.osgi.framework.ServiceRegistration<org.vamt.cim.spi.CimProvider> reg =
                context.registerService(org.vamt.cim.spi.CimProvider.class, stopping, props);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            WsmanClient inFlight = new WsmanClient(HOST, PORT);
            java.util.concurrent.Future<HttpResponse<String>> answer = pool.submit(
                    () -> inFlight.post(inFlight.enumerateAll(WsmanClient.CIM + "CIM_Chip")));
            assertTrue("the request reached the provider", entered.await(30, java.util.concurrent.TimeUnit.SECONDS));
            reg.unregister();
            reg = null;
            release.countDown();
            HttpResponse<String> r = answer.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(r.body(), 400, r.statusCode());
            assertTrue(r.body(), r.body().contains("<a:Fault>") || r.body().contains(":Fault>"));
            HttpResponse<String> next = client.awaitStatus(chips, 200);
            assertTrue(next.body(), next.body().contains("Managed System Processor Chip"));
        } finally {
            release.countDown();
            if (reg != null) {
                reg.unregister();
            }
            pool.shutdownNow();
        }
    }
}
