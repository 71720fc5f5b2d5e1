package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Version;

/**
 * Upgrading a provider at runtime through {@code deploy/}, in the real distribution: the time
 * provider's jar dropped in answers within 2 seconds, a newer version copied over it replaces it
 * in place, and removing it makes its class fault cleanly; no other bundle is restarted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployIT {
    static final int PORT = 60992;
    static final String PROVIDER = "vamt-provider-time";
    static final String TIME_SERVICE = "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_TimeSynchronizationService";
    static final long LIMIT_MS = 2_000;

    @Inject
    BundleContext context;

    @Inject
    SessionFactory sessionFactory;

    @Configuration
    public Option[] config() {
        return KarafContainer.options("hotdeploy", PORT, "60181", "60101", "60099", "60444");
    }

    private String run(String command) throws Exception {
        return KarafShell.execute(sessionFactory, command);
    }

    private Bundle provider() {
        return Arrays.stream(context.getBundles()).filter(b -> PROVIDER.equals(b.getSymbolicName())).findFirst()
                .orElse(null);
    }

    /** Bundle id → symbolic name and version of every bundle but the provider. */
    private Map<Long, String> others() {
        Map<Long, String> map = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (!PROVIDER.equals(b.getSymbolicName())) {
                map.put(b.getBundleId(), b.getSymbolicName() + " " + b.getVersion());
            }
        }
        return map;
    }

    /**
     * Waits until Karaf has installed its boot features and no bundle event has happened for two
     * seconds: vAMT answers before the last boot features have started, and a bundle still
     * starting then is not something the deploy did.
     */
    private void awaitSettled() throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (context.getServiceReference("org.apache.karaf.features.BootFinished") == null) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("Karaf's boot features did not finish within 120 s");
            }
            Thread.sleep(100);
        }
        long[] lastEvent = {System.nanoTime()};
        BundleListener listener = event -> lastEvent[0] = System.nanoTime();
        context.addBundleListener(listener);
        try {
            while (System.nanoTime() - lastEvent[0] < 2_000_000_000L) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("bundles still changing after 120 s");
                }
                Thread.sleep(100);
            }
        } finally {
            context.removeBundleListener(listener);
        }
    }

    /**
     * Records every event on another bundle that means it was installed, removed, updated,
     * refreshed or stopped (a restart shows as STOPPED then STARTED). A lazily activated bundle
     * only starts, which is no restart.
     */
    private BundleListener recordDisturbances(List<String> disturbances) {
        int disturbing = BundleEvent.INSTALLED | BundleEvent.UNINSTALLED | BundleEvent.UPDATED
                | BundleEvent.UNRESOLVED | BundleEvent.STOPPED;
        BundleListener listener = event -> {
            if ((event.getType() & disturbing) != 0 && !PROVIDER.equals(event.getBundle().getSymbolicName())) {
                disturbances.add(event.getBundle().getSymbolicName() + " event " + event.getType());
            }
        };
        context.addBundleListener(listener);
        return listener;
    }

    /**
     * Polls the class every 20 ms until it answers {@code status}; returns the milliseconds since
     * {@code startNanos}. Every answer on the way must be 200 or a 400 fault, never a 500.
     */
    private static long millisUntil(WsmanClient client, int status, long startNanos, List<String> badAnswers)
            throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        HttpResponse<String> last = null;
        while (System.currentTimeMillis() < deadline) {
            last = client.post(client.enumerateAll(TIME_SERVICE));
            if (last.statusCode() != 200 && last.statusCode() != 400) {
                badAnswers.add(last.statusCode() + " " + last.body());
            }
            if (last.statusCode() == status) {
                return (System.nanoTime() - startNanos) / 1_000_000;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no HTTP " + status + " within 30 s; last: " + last.statusCode() + " " + last.body());
    }

    /** Polls until the class answers 200; refused connections and early answers are vAMT starting. */
    private static void awaitAnswering(WsmanClient client) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        String last = "nothing";
        while (System.currentTimeMillis() < deadline) {
            try {
                HttpResponse<String> answer = client.post(client.enumerateAll(TIME_SERVICE));
                if (answer.statusCode() == 200) {
                    return;
                }
                last = answer.statusCode() + " " + answer.body();
            } catch (java.io.IOException notListeningYet) {
                last = notListeningYet.toString();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("vAMT did not answer within 60 s after boot; last: " + last);
    }

    /** Copies in one step (a move within the same disk), so the deployer never sees half a jar. */
    private static void drop(Path jar, Path deploy) throws Exception {
        Path staged = deploy.resolveSibling("staged-" + jar.getFileName());
        Files.copy(jar, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, deploy.resolve(PROVIDER + ".jar"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** The same provider with a higher Bundle-Version: what an upgraded build looks like to OSGi. */
    private static Path withVersion(Path jar, Version version, Path target) throws Exception {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar));
             OutputStream file = Files.newOutputStream(target)) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version.toString());
            try (JarOutputStream out = new JarOutputStream(file, manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return target;
    }

    @Test
    public void providerJarInDeployAnswersWithinTwoSecondsUpgradesInPlaceAndFaultsWhenRemoved() throws Exception {
        WsmanClient client = new WsmanClient("127.0.0.2", PORT);
        List<String> badAnswers = new ArrayList<>();
        awaitSettled();
        // vAMT opens its listeners once the boot features are started, and may answer 404 until its
        // WS-Management path is registered: not a deploy's doing
        awaitAnswering(client);
        List<String> disturbances = Collections.synchronizedList(new ArrayList<>());
        BundleListener recorder = recordDisturbances(disturbances);

        // the provider not installed: its class faults
        Bundle shipped = provider();
        assertNotNull(PROVIDER + " ships in the distribution", shipped);
        Version shippedVersion = shipped.getVersion();
        shipped.uninstall();
        HttpResponse<String> absent = client.post(client.enumerateAll(TIME_SERVICE));
        assertEquals(absent.body(), 400, absent.statusCode());
        assertTrue(absent.body(), absent.body().contains("DestinationUnreachable"));
        Map<Long, String> before = others();

        Path home = Paths.get(System.getProperty("karaf.home"));
        Path deploy = home.resolve("deploy");
        String version = System.getProperty("vamt.version");
        Path jar = home.resolve("system/org/vamt/" + PROVIDER + "/" + version + "/" + PROVIDER + "-" + version + ".jar");

        long start = System.nanoTime();
        drop(jar, deploy);
        long deployedMs = millisUntil(client, 200, start, badAnswers);
        System.out.println("HotDeployIT: " + PROVIDER + " answered " + deployedMs + " ms after its jar reached deploy/");
        assertTrue("answered after " + deployedMs + " ms, limit " + LIMIT_MS, deployedMs <= LIMIT_MS);
        Bundle deployed = provider();
        assertEquals(Bundle.ACTIVE, deployed.getState());
        assertEquals("no other bundle restarted, installed or removed", before, others());

        // a newer version over the old file: updated in place (same bundle id), nothing else touched
        Version newer = new Version(shippedVersion.getMajor(), shippedVersion.getMinor(), shippedVersion.getMicro() + 1,
                shippedVersion.getQualifier());
        Path upgraded = withVersion(jar, newer, Files.createTempDirectory("hotdeploy").resolve(PROVIDER + ".jar"));
        start = System.nanoTime();
        drop(upgraded, deploy);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!newer.equals(provider().getVersion()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        long upgradedMs = millisUntil(client, 200, start, badAnswers);
        System.out.println("HotDeployIT: version " + newer + " answered " + upgradedMs + " ms after replacing the jar");
        assertEquals(newer, provider().getVersion());
        assertEquals("updated in place", deployed.getBundleId(), provider().getBundleId());
        assertTrue("answered after " + upgradedMs + " ms, limit " + LIMIT_MS, upgradedMs <= LIMIT_MS);
        assertEquals("no other bundle restarted, installed or removed", before, others());
        String providers = run("vamt:provider-list");
        assertTrue(providers, providers.contains(newer.toString()) && providers.contains("AMT_TimeSynchronizationService"));

        // removed: the class faults cleanly, the rest of vAMT keeps answering
        start = System.nanoTime();
        Files.delete(deploy.resolve(PROVIDER + ".jar"));
        long removedMs = millisUntil(client, 400, start, badAnswers);
        System.out.println("HotDeployIT: class faulted " + removedMs + " ms after the jar left deploy/");
        HttpResponse<String> fault = client.post(client.enumerateAll(TIME_SERVICE));
        assertEquals(400, fault.statusCode());
        assertTrue(fault.body(), fault.body().contains("DestinationUnreachable"));
        assertTrue(fault.body(), !fault.body().contains("Exception") && !fault.body().contains("at org."));
        // the class faults once the bundle has stopped; fileinstall uninstalls it a moment later
        deadline = System.currentTimeMillis() + 10_000;
        while (provider() != null && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertNull(provider());
        assertEquals("no other bundle restarted, installed or removed", before, others());
        assertEquals(200, client.post(client.enumerateAll(WsmanClient.CIM + "CIM_SoftwareIdentity")).statusCode());
        assertTrue("answers on the way were 200 or faults: " + badAnswers, badAnswers.isEmpty());
        context.removeBundleListener(recorder);
        assertEquals("no other bundle restarted, installed, removed or refreshed", List.of(), disturbances);
    }
}
