package org.vamt.webui.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.boot.internal.BootConfigSettingProvider;
import org.vamt.provider.boot.internal.BootSourceSettingProvider;
import org.vamt.provider.power.internal.PowerProvider;
import org.vamt.provider.settings.internal.GeneralSettingsProvider;
import org.vamt.provider.software.internal.SoftwareIdentityProvider;
import org.vamt.security.AmtRealm;

/**
 * The pages over the real CIMOM, the real power, settings and software providers with their realm
 * rules, and the libvirt test driver: what a user sees and may do is what the CIMOM decides.
 */
class WebUiTest {
    static final String HOST = "127.0.0.2:16992";
    static final String VM = DemoHypervisor.DESKTOP_02;

    DemoHypervisor demo;
    WebUi ui;
    CsrfGuard csrf;
    final List<String> audited = new ArrayList<>();
    /** user -> realms held (on every VM). */
    final Map<String, Set<Integer>> grants = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        grants.put("admin", AmtRealm.all());
        grants.put("viewer", Set.of(AmtRealm.HARDWARE_ASSET, AmtRealm.GENERAL_INFO));
        PowerProvider.Config oneSecond = new PowerProvider.Config() {
            @Override
            public long gracefulTimeoutSeconds() {
                return 1;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return PowerProvider.Config.class;
            }
        };
        CimObjectManager cimom = new TestCimom()
                .access((user, machine, realm) -> grants.getOrDefault(user, Set.of()).contains(realm))
                .serve(new PowerProvider(demo.hypervisor(), oneSecond), Map.of("vamt.cim.classes", new String[] {
                    "CIM_ComputerSystem", "CIM_PowerManagementService", "CIM_AssociatedPowerManagementService"},
                    "vamt.cim.realm.CIM_ComputerSystem", "*", "vamt.cim.realm.CIM_PowerManagementService", "5",
                    "vamt.cim.realm.CIM_AssociatedPowerManagementService", "5"))
                .serve(new GeneralSettingsProvider(demo.hypervisor()), Map.of("vamt.cim.classes",
                    new String[] {"AMT_GeneralSettings"}, "vamt.cim.realm.AMT_GeneralSettings", "13,3"))
                .serve(new SoftwareIdentityProvider(), Map.of("vamt.cim.classes", new String[] {"CIM_SoftwareIdentity"},
                    "vamt.cim.realm.CIM_SoftwareIdentity", "*"))
                .serve(new BootConfigSettingProvider(demo.hypervisor()), Map.of("vamt.cim.classes",
                    new String[] {"CIM_BootConfigSetting"}, "vamt.cim.realm.CIM_BootConfigSetting", "5"))
                .serve(new BootSourceSettingProvider(), Map.of("vamt.cim.classes",
                    new String[] {"CIM_BootSourceSetting"}, "vamt.cim.realm.CIM_BootSourceSetting", "5"))
                .manager();
        csrf = CsrfGuard.withNewSecret(Clock.systemUTC());
        ui = new WebUi(cimom, csrf, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    @Test
    void theComponentServesEveryPageAndNothingElse() throws Exception {
        // the paths as Declarative Services registers them (bnd's component XML of the bundle)
        String xml;
        try (var in = WebUi.class.getClassLoader().getResourceAsStream("OSGI-INF/" + WebUi.class.getName() + ".xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("name=\"vamt.http.path\" type=\"String\">([^<]*)<").matcher(xml);
        assertTrue(m.find(), xml);
        String[] declared = m.group(1).trim().split("\\s+");
        String[] pages = Page.paths();
        Arrays.sort(declared);
        Arrays.sort(pages);
        assertEquals(Arrays.asList(pages), Arrays.asList(declared));
    }

    @Test
    void statusShowsPowerHostNameAndAmtVersion() {
        EndpointPathHandler.Reply r = get("admin", "/index.htm");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains("<dd>On (S0)</dd>"), r.body());
        assertTrue(r.body().contains("<dt>Intel(R) AMT version</dt><dd>16.1.30"), r.body());
        assertTrue(r.body().contains("<dt>Host name</dt>"), r.body());
        assertEquals("no-store", r.headers().get("Cache-Control"));
        assertTrue(r.headers().get("Content-Security-Policy").contains("default-src 'none'"));
    }

    @Test
    void pagesOfClassesNobodyServesAreNotOfferedNorServed() {
        EndpointPathHandler.Reply status = get("admin", "/index.htm");
        assertFalse(status.body().contains("/hw-sys.htm"), "no inventory provider: no hardware page in the menu");
        assertFalse(status.body().contains("/events.htm"));
        EndpointPathHandler.Reply hw = get("admin", "/hw-sys.htm");
        assertEquals(404, hw.status());
        assertTrue(hw.body().contains("not available"), hw.body());
        assertFalse(hw.body().contains("Exception"), hw.body());
    }

    @Test
    void powerOffFromThePageTurnsTheVmOffAndIsAuditedAsWsmanIs() throws Exception {
        String token = token(get("admin", "/remote.htm"));
        EndpointPathHandler.Reply r = post("admin", "csrf=" + token + "&action=off", "http://" + HOST);
        assertEquals(303, r.status(), r.body());
        assertEquals("/remote.htm?done=off", r.headers().get("Location"));
        assertEquals(MachineState.SHUT_OFF, demo.hypervisor().machine(VM).orElseThrow().state());
        assertEquals(List.of("17/1"), audited, "remote control, power down: as WS-Management audits it");
        EndpointPathHandler.Reply after = call("admin", "GET", "/remote.htm", "done=off", null, null);
        assertTrue(after.body().contains("Power off requested."), after.body());
        assertTrue(after.body().contains("Off, soft (S5)"), after.body());
        assertTrue(after.body().contains("value=\"on\""), "power on is offered now: " + after.body());
        assertFalse(after.body().contains("value=\"off\""), "power off no longer is: " + after.body());
    }

    @Test
    void aResetWithAOneTimeBootDeviceSetsItFirstAndAuditsBoth() throws Exception {
        EndpointPathHandler.Reply page = get("admin", "/remote.htm");
        assertTrue(page.body().contains("<option value=\"pxe\">Network (PXE)</option>"), page.body());
        String token = token(page);
        assertEquals(400, post("admin", "csrf=" + token + "&action=off&boot=pxe", "http://" + HOST).status(),
                "a boot device goes with a start");
        assertEquals(400, post("admin", "csrf=" + token + "&action=reset&boot=floppy", "http://" + HOST).status());
        assertTrue(audited.isEmpty());
        EndpointPathHandler.Reply r = post("admin", "csrf=" + token + "&action=reset&boot=pxe", "http://" + HOST);
        assertEquals(303, r.status(), r.body());
        assertEquals(List.of("17/4", "17/3"), audited, "boot options set, then reset: as WS-Management audits them");
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(VM).orElseThrow().state());
    }

    @Test
    void aFormWithoutTheTokenOrFromAnotherSiteChangesNothing() throws Exception {
        String token = token(get("admin", "/remote.htm"));
        assertEquals(403, post("admin", "action=off", "http://" + HOST).status());
        assertEquals(403, post("admin", "csrf=" + token + "&action=off", "http://evil.example").status());
        assertEquals(403, post("admin", "csrf=" + token + "&action=off", null).status(), "no Origin, no Referer");
        String forViewer = csrf.issue(VM, "viewer");
        assertEquals(403, post("admin", "csrf=" + forViewer + "&action=off", "http://" + HOST).status(),
                "a token is bound to its user");
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(VM).orElseThrow().state());
        assertTrue(audited.isEmpty());
    }

    @Test
    void aUserWithoutTheRemoteControlRealmSeesNoButtonsAndCannotPost() throws Exception {
        EndpointPathHandler.Reply page = get("viewer", "/remote.htm");
        assertEquals(200, page.status());
        assertFalse(page.body().contains("<button"), page.body());
        assertTrue(page.body().contains("<dd>On</dd>"), "the power state anyone may read: " + page.body());
        EndpointPathHandler.Reply r = post("viewer", "csrf=" + csrf.issue(VM, "viewer") + "&action=off",
                "http://" + HOST);
        assertEquals(403, r.status());
        assertTrue(r.body().contains("Remote Control realm"), r.body());
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(VM).orElseThrow().state());
        assertTrue(audited.isEmpty());
    }

    @Test
    void aPageWhoseSectionsTheUserMayNotReadSaysSo() {
        grants.put("nobody", Set.of());
        EndpointPathHandler.Reply r = get("nobody", "/net.htm");
        assertEquals(200, r.status());
        assertFalse(r.body().contains("<section"), "AMT_GeneralSettings needs general-info: " + r.body());
        assertTrue(r.body().contains("Nothing on this page is available to your account"), r.body());
    }

    @Test
    void namesFromTheVmAreEscaped() {
        RequestContext odd = new RequestContext(VM, "<script>alert(1)</script>", "admin", "Digest:X");
        EndpointPathHandler.Reply r = ui.handle(new TestCall("GET", "/index.htm", null, Map.of(), new byte[0], odd));
        assertFalse(r.body().contains("<script>"), r.body());
        assertTrue(r.body().contains("&lt;script&gt;"), r.body());
    }

    @Test
    void sizesReadAsPeopleWriteThem() {
        assertEquals("2 GiB", Sections.bytes(2L << 30));
        assertEquals("128.8 GB", Sections.bytes(128_849_018_000L));
        assertEquals("500 kB", Sections.bytes(500_000));
        assertEquals("unknown", Sections.bytes(0));
    }

    @Test
    void theRootLeadsToTheStatusPageAndTheStylesheetIsServed() {
        assertEquals("/index.htm", get("admin", "/").headers().get("Location"));
        EndpointPathHandler.Reply css = get("admin", "/vamt.css");
        assertEquals(200, css.status());
        assertTrue(css.contentType().startsWith("text/css"));
        assertEquals(405, call("admin", "POST", "/index.htm", null, "", "http://" + HOST).status());
    }

    // ------------------------------------------------------------------ helpers

    private EndpointPathHandler.Reply get(String user, String path) {
        return call(user, "GET", path, null, null, null);
    }

    private EndpointPathHandler.Reply post(String user, String form, String origin) {
        return call(user, "POST", "/remote.htm", null, form, origin);
    }

    private EndpointPathHandler.Reply call(String user, String method, String path, String query, String form,
                                           String origin) {
        Map<String, String> headers = new HashMap<>();
        headers.put("host", HOST);
        if (form != null) {
            headers.put("content-type", "application/x-www-form-urlencoded");
        }
        if (origin != null) {
            headers.put("origin", origin);
        }
        RequestContext ctx = new RequestContext(VM, "desktop-02", user, "Digest:X");
        return ui.handle(new TestCall(method, path, query, headers,
                form == null ? new byte[0] : form.getBytes(StandardCharsets.UTF_8), ctx));
    }

    private static String token(EndpointPathHandler.Reply page) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page.body());
        assertTrue(m.find(), "a form token on the page: " + page.body());
        return m.group(1);
    }

    private final class TestCall implements EndpointPathHandler.Call {
        final String method;
        final String path;
        final String query;
        final Map<String, String> headers;
        final byte[] body;
        final RequestContext ctx;

        TestCall(String method, String path, String query, Map<String, String> headers, byte[] body,
                 RequestContext ctx) {
            this.method = method;
            this.path = path;
            this.query = query;
            this.headers = headers;
            this.body = body;
            this.ctx = ctx;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public String query() {
            return query;
        }

        @Override
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public byte[] body() {
            return body;
        }

        @Override
        public RequestContext context() {
            return ctx;
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1";
        }

        @Override
        public void audit(int appId, int eventId, byte[] extendedData) {
            audited.add(appId + "/" + eventId);
        }

        @Override
        public <T> T bounded(Callable<T> work, long timeoutMillis) throws ExecutionException {
            try {
                return work.call();
            } catch (Exception e) {
                throw new ExecutionException(e);
            }
        }

        @Override
        public long maxOperationMillis() {
            return 10_000;
        }
    }
}
