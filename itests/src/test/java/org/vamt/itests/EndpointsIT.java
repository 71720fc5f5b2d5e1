package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Endpoints follow libvirt: a domain defined while vAMT runs gets an endpoint at the next free
 * address within seconds (no restart, no polling: libvirt's lifecycle event), with its identity in
 * the one endpoint file (etc/vamt-endpoints.properties); vamt:endpoint-set moves it and rewrites the
 * file; a per-VM Config Admin configuration of earlier versions (an operator's pin) is taken into the
 * file when the endpoint manager starts; undefining the domain removes the endpoint and its entry.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EndpointsIT {
    static final int PORT = 61994;
    static final String UUID = "0be5a1e0-0000-4000-8000-0000000000e1";
    static final String XML = TestDriverDomains.xml(UUID, "ops-echo");
    static final String KIOSK = "6f8c1a52-4b1e-4d6a-9a01-000000000004";

    @Inject
    BundleContext context;

    @Inject
    SessionFactory sessionFactory;

    @Inject
    ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        return KarafContainer.options("endpoints", PORT, "60281", "60201", "60199", "60544");
    }

    private String run(String command) throws Exception {
        return KarafShell.execute(sessionFactory, command);
    }

    private static void await(String what, long millis, BooleanSupplier condition) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail(what + " within " + millis + " ms");
            }
            Thread.sleep(50);
        }
    }

    private String endpointList() {
        try {
            return run("vamt:endpoint-list");
        } catch (Exception notYet) {
            return "";
        }
    }

    /** The endpoint file as vAMT last wrote it. */
    private static java.util.Properties endpointFile() throws Exception {
        java.util.Properties p = new java.util.Properties();
        java.nio.file.Path file = java.nio.file.Paths.get(System.getProperty("karaf.etc"), "vamt-endpoints.properties");
        if (java.nio.file.Files.exists(file)) {
            try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                p.load(r);
            }
        }
        return p;
    }

    /** VM {@code uuid}'s kept address, or null when the file has no entry for it. */
    private static String keptAddress(String uuid) throws Exception {
        return endpointFile().getProperty(uuid);
    }

    private static void awaitKept(String what, String uuid, String address) throws Exception {
        await(what, 5_000, () -> {
            try {
                return address.equals(keptAddress(uuid));
            } catch (Exception fileBeingReplaced) {
                return false;
            }
        });
    }

    private static int identities() throws Exception {
        return (int) endpointFile().stringPropertyNames().stream().filter(k -> k.indexOf('.') < 0).count();
    }

    private int perVmConfigurations() throws Exception {
        org.osgi.service.cm.Configuration[] all = configAdmin.listConfigurations("(service.factoryPid=org.vamt.endpoint)");
        return all == null ? 0 : all.length;
    }

    @Test
    public void endpointsAppearAndDisappearWithDomainsAndKeepTheirIdentityInTheEndpointFile() throws Exception {
        await("the four demo VMs listed", 60_000, () -> endpointList().contains("http://127.0.0.5:" + PORT + "/wsman"));
        await("one entry per demo VM in the endpoint file", 10_000, () -> {
            try {
                return identities() == 4;
            } catch (Exception e) {
                return false;
            }
        });
        assertNotNull("kiosk's identity", keptAddress("6f8c1a52-4b1e-4d6a-9a01-000000000004"));
        assertEquals("no per-VM configuration any more", 0, perVmConfigurations());

        long start = System.nanoTime();
        TestDriverDomains.define(context, UUID, XML);
        await("ops-echo's endpoint", 5_000, () -> endpointList().contains("ops-echo"));
        long appearedMs = (System.nanoTime() - start) / 1_000_000;
        System.out.println("EndpointsIT: endpoint of a newly defined domain listed after " + appearedMs + " ms");
        String list = endpointList();
        assertTrue(list, list.contains("http://127.0.0.6:" + PORT + "/wsman"));
        assertEquals(200, new WsmanClient("127.0.0.6", PORT).send(WsmanClient.identify(), null).statusCode());
        // the map is written behind the change that made it (one writer coalesces bursts)
        awaitKept("the new VM's entry", UUID, "127.0.0.6");
        assertEquals("ops-echo", endpointFile().getProperty(UUID + ".name"));
        assertEquals(5, identities());

        String moved = run("vamt:endpoint-set ops-echo 127.0.0.60");
        assertTrue(moved, moved.contains("http://127.0.0.60:" + PORT + "/wsman"));
        assertEquals("endpoint-set rewrites the file", "127.0.0.60", keptAddress(UUID));
        assertEquals(200, new WsmanClient("127.0.0.60", PORT).send(WsmanClient.identify(), null).statusCode());
        assertEquals(404, new WsmanClient("127.0.0.6", PORT).send(WsmanClient.identify(), null).statusCode());

        // an operator pins kiosk the way earlier versions kept identities: a per-VM factory configuration
        java.util.Hashtable<String, Object> pin = new java.util.Hashtable<>();
        pin.put("uuid", KIOSK);
        pin.put("name", "kiosk");
        pin.put("address", "127.0.0.70");
        configAdmin.getFactoryConfiguration("org.vamt.endpoint", KIOSK, "?").update(pin);
        // the endpoint manager restarted (its bundle, vamt-endpoints, stopped and started; stopping vamt-wsman,
        // as this test once did, only withdrew /wsman): the identities come back from the file, the pin is
        // taken into it
        org.osgi.framework.Bundle manager = java.util.Arrays.stream(context.getBundles())
                .filter(b -> "vamt-endpoints".equals(b.getSymbolicName())).findFirst().orElseThrow();
        manager.stop();
        // the component's listeners close with it and nothing opens them again: a listener reopened after the
        // deactivation (DS unbinds the TLS identity after it) once kept PORT bound with the stopped component's
        // door, and the next start's listener shared that Jetty
        assertFalse("nothing listens on " + PORT + " while vamt-endpoints is stopped",
                WsmanClient.listening("127.0.0.1", PORT));
        assertFalse("nothing listens on the TLS port " + (PORT + 1) + " while vamt-endpoints is stopped",
                WsmanClient.listening("127.0.0.1", PORT + 1));
        manager.start();
        await("ops-echo back at 127.0.0.60 after the restart", 30_000,
                () -> endpointList().contains("http://127.0.0.60:" + PORT + "/wsman"));
        await("ops-echo answering at 127.0.0.60", 10_000, () -> {
            try {
                return new WsmanClient("127.0.0.60", PORT).send(WsmanClient.identify(), null).statusCode() == 200;
            } catch (Exception notYet) {
                return false;
            }
        });
        await("kiosk at its pinned address", 10_000, () -> endpointList().contains("http://127.0.0.70:" + PORT + "/wsman"));
        awaitKept("the pin is in the file", KIOSK, "127.0.0.70");
        assertEquals("and its configuration gone", 0, perVmConfigurations());

        start = System.nanoTime();
        TestDriverDomains.undefine(context, UUID);
        await("ops-echo's endpoint removed", 5_000, () -> !endpointList().contains("ops-echo")
                && endpointList().contains("kiosk"));
        System.out.println("EndpointsIT: endpoint of an undefined domain gone after "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
        // the listing drops the endpoint a moment before the file is rewritten (an fsync'd replace)
        await("its entry deleted from the endpoint file", 5_000, () -> {
            try {
                return keptAddress(UUID) == null;
            } catch (Exception fileBeingReplaced) {
                return false;
            }
        });
        assertEquals(4, identities());
        assertEquals(404, new WsmanClient("127.0.0.60", PORT).send(WsmanClient.identify(), null).statusCode());
        assertFalse(run("vamt:vm-list").toLowerCase(Locale.ROOT).contains("ops-echo"));
    }
}
