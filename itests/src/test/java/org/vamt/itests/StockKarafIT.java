package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.Principal;
import java.util.Arrays;
import javax.inject.Inject;
import javax.security.auth.Subject;
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

/**
 * The features repository in a stock Apache Karaf 4.4 (Apache's own tarball, nothing of vAMT in
 * it), driven through the Karaf shell as an operator would: repo-add, install the WS-Management
 * and libvirt features, then a provider installed and uninstalled at runtime, then the
 * all-in-one {@code vamt}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StockKarafIT {
    static final int PORT = 61992;
    static final String FIRST_VM = "127.0.0.2";

    @Inject
    SessionFactory sessionFactory;

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        // Karaf's own ports in the 61xxx range next to WS-Management's
        return KarafContainer.stockKaraf("stock", PORT, "61181", "61101", "61099", "61444");
    }

    /**
     * Runs a command as the console would, as an admin: stock Karaf guards feature:install and
     * friends with command ACLs (role admin). Right after boot Karaf may still be refreshing its own
     * bundles (Pax Exam installs its probe features), so a command briefly missing is retried.
     */
    private String run(String command) throws Exception {
        Subject admin = new Subject();
        // Karaf's principal classes, looked up in the container (the probe does not import them)
        admin.getPrincipals().add(principal("org.apache.karaf.jaas.boot.principal.UserPrincipal", "karaf"));
        admin.getPrincipals().add(principal("org.apache.karaf.jaas.boot.principal.RolePrincipal", "admin"));
        String output = KarafShell.executeAs(admin, sessionFactory, command);
        System.out.println("karaf@stock()> " + command + "\n" + output);
        return output;
    }

    /**
     * The page at {@code url} (curl, Digest as admin) once its memory section is there ({@code memory})
     * or gone: "HTTP status" then the body.
     */
    private static String awaitPage(String url, boolean memory) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            Process p = new ProcessBuilder("curl", "-s", "--digest", "-u", "admin:" + WsmanClient.PASSWORD,
                    "-w", "HTTP %{http_code}\n", "-o", "/dev/stdout", url).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue("curl timed out", p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            // curl writes the body, then the status line; put the status first
            int at = out.lastIndexOf("HTTP ");
            String page = at < 0 ? out : out.substring(at).trim() + "\n" + out.substring(0, at);
            if (page.startsWith("HTTP 200") && page.contains("<section id=\"memory\"") == memory) {
                return page;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the memory section did not " + (memory ? "come" : "go") + ": " + page);
            }
            Thread.sleep(500);
        }
    }

    private static Principal principal(String className, String name) throws Exception {
        return (Principal) Class.forName(className).getConstructor(String.class).newInstance(name);
    }


    private boolean bundleInstalled(String symbolicName) {
        return Arrays.stream(context.getBundles()).anyMatch(b -> (symbolicName.equals(b.getSymbolicName())
                || ("org.vamt." + symbolicName).equals(b.getSymbolicName())) && b.getState() != Bundle.UNINSTALLED);
    }

    @Test
    public void featuresInstallIntoStockKarafAndProvidersComeAndGoAtRuntime() throws Exception {
        assertFalse("a stock Karaf has no vAMT in it", bundleInstalled("vamt-wsman"));
        Path etc = Paths.get(System.getProperty("karaf.etc"));
        String version = System.getProperty("vamt.version");
        run("feature:repo-add mvn:org.vamt/vamt-features/" + version + "/xml/features");
        String available = run("feature:list");
        assertTrue(available, available.contains("vamt-wsman-core") && available.contains("vamt-provider-power"));

        // -r (no refresh of bundles already there): the first install would otherwise restart Karaf's
        // shell bundles (new optional wiring), which ends the session running this very command
        run("feature:install -r vamt-wsman vamt-libvirt vamt-provider-software");
        // the user features bring their default configuration; a file already there is left alone
        assertTrue(Files.readString(etc.resolve("org.vamt.libvirt.cfg")).contains("vamt-demo-vms.xml"));
        assertTrue(Files.exists(etc.resolve("vamt-demo-vms.xml")));
        assertTrue(Files.exists(etc.resolve("org.vamt.accounts.cfg")));
        assertTrue(Files.readString(etc.resolve("org.vamt.wsman.cfg")).contains("port = " + PORT)
                || Files.readString(etc.resolve("org.vamt.wsman.cfg")).contains("port=" + PORT));

        WsmanClient client = new WsmanClient(FIRST_VM, PORT);
        HttpResponse<String> identify = client.awaitStatus(WsmanClient.identify(), 200);
        assertTrue(identify.body(), identify.body().contains("<b:ProductVersion>AMT 16.1</b:ProductVersion>"));
        HttpResponse<String> version16 = client.awaitStatus(
                client.get(WsmanClient.CIM + "CIM_SoftwareIdentity", "<w:Selector Name=\"InstanceID\">AMT</w:Selector>"),
                200);
        assertTrue(version16.body(), version16.body().contains("<g:VersionString>16.1.30</g:VersionString>"));

        String power = client.get(WsmanClient.CIM + "CIM_PowerManagementService", null);
        HttpResponse<String> notYet = client.awaitStatus(power, 400);
        assertTrue(notYet.body(), notYet.body().contains("DestinationUnreachable"));
        run("feature:install -r vamt-provider-power");
        HttpResponse<String> served = client.awaitStatus(power, 200);
        assertTrue(served.body(), served.body().contains("Intel(r) AMT Power Management Service"));
        run("feature:uninstall -r vamt-provider-power");
        assertFalse(bundleInstalled("vamt-provider-power"));
        HttpResponse<String> gone = client.awaitStatus(power, 400);
        assertTrue(gone.body(), gone.body().contains("DestinationUnreachable"));
        run("feature:install -r vamt-provider-power");
        client.awaitStatus(power, 200);
        run("feature:uninstall -r vamt-provider-power");
        client.awaitStatus(power, 400);

        // the web UI is a client of the CIMOM: a provider feature that leaves takes its section with it
        // (the processor provider keeps the hardware page up: a page with no class served is not offered)
        run("feature:install -r vamt-webui vamt-provider-inventory vamt-provider-processor");
        String hardware = "http://" + FIRST_VM + ":" + PORT + "/hw-sys.htm";
        String withInventory = awaitPage(hardware, true);
        assertTrue(withInventory, withInventory.contains("<section id=\"bios\""));
        run("feature:uninstall -r vamt-provider-inventory");
        assertFalse(bundleInstalled("vamt-provider-inventory"));
        String withoutInventory = awaitPage(hardware, false);
        assertTrue("the page still answers, without an error: " + withoutInventory,
                withoutInventory.startsWith("HTTP 200") && !withoutInventory.contains("class=\"error\"")
                && withoutInventory.contains("<section id=\"processors\""));
        run("feature:uninstall -r vamt-webui vamt-provider-processor");

        // the all-in-one feature: every provider and the shell
        run("feature:install -r vamt");
        client.awaitStatus(power, 200);
        client.awaitStatus(client.enumerateAll(WsmanClient.CIM + "CIM_Chassis"), 200);
        String vms = run("vamt:vm-list");
        assertTrue(vms, vms.contains("http://127.0.0.3:" + PORT + "/wsman"));
        String installed = run("feature:list -i");
        for (String feature : new String[] {"vamt ", "vamt-core", "vamt-wsman", "vamt-libvirt", "vamt-provider-time",
            "vamt-shell"}) {
            assertTrue(feature + " installed: " + installed, installed.contains(feature));
        }

        run("feature:uninstall -r vamt");
        assertTrue("the features installed by name stay", bundleInstalled("vamt-wsman"));
        HttpResponse<String> powerGone = client.awaitStatus(power, 400);
        assertTrue(powerGone.body(), powerGone.body().contains("DestinationUnreachable"));
        assertEquals(200, client.post(WsmanClient.identify()).statusCode());
    }
}
