package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.security.digest.DigestClient;

/**
 * Filtered Enumerate over real sockets: DSP0227 association traversal (as wsmancli's
 * {@code --associations}/{@code --references} send it) and DSP0226 selector filters.
 */
class WsmanAssociationFilterTest {
    private static final String VM_UUID = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    private static final String PASSWORD = "P@ssw0rd-test";
    private static final String CIM = ResourceUris.CIM;
    private static final String AMT = ResourceUris.AMT;

    static final String MOF = """
            class CIM_ManagedElement { string ElementName; };
            class CIM_Service : CIM_ManagedElement {
                [Key] string SystemCreationClassName; [Key] string SystemName;
                [Key] string CreationClassName; [Key] string Name; };
            class CIM_PowerManagementService : CIM_Service { };
            class AMT_TimeSynchronizationService : CIM_Service { };
            class CIM_ComputerSystem : CIM_ManagedElement { [Key] string CreationClassName; [Key] string Name; };
            [Association] class CIM_ServiceAvailableToElement {
                [Key] CIM_Service REF ServiceProvided; [Key] CIM_ManagedElement REF UserOfService; };
            [Association] class CIM_AssociatedPowerManagementService : CIM_ServiceAvailableToElement {
                uint16 PowerState; };
            [Association] class CIM_HostedService {
                [Key] CIM_ComputerSystem REF Antecedent; [Key] CIM_Service REF Dependent; };
            """;

    static final CimObjectPath SYSTEM = path("CIM_ComputerSystem", "CreationClassName", "CIM_ComputerSystem",
            "Name", "ManagedSystem");

    static CimObjectPath path(String cls, String... keysAndValues) {
        java.util.Map<String, Object> keys = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            keys.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return new CimObjectPath(cls, keys);
    }

    static CimInstance service(String cls, String name) {
        return CimInstance.builder(cls).key("SystemCreationClassName", "CIM_ComputerSystem")
                .key("SystemName", "Intel(r) AMT").key("CreationClassName", cls).key("Name", name).build();
    }

    static final CimInstance POWER = service("CIM_PowerManagementService", "Intel(r) AMT Power Management Service");
    static final CimInstance TIME = service("AMT_TimeSynchronizationService", "Intel(r) AMT Time Synchronization Service");

    @TempDir
    Path etc;
    @TempDir
    Path wslDir;
    int port;
    TestTransport listener;
    DigestClient client;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CimObjectManager cimom = new TestCimom(MOF)
                .serve((ctx, c) -> List.of(CimInstance.builder("CIM_ComputerSystem")
                        .key("CreationClassName", "CIM_ComputerSystem").key("Name", "ManagedSystem")
                        .property("ElementName", ctx.machineName()).build()), "CIM_ComputerSystem")
                .serve((ctx, c) -> List.of(POWER), "CIM_PowerManagementService")
                .serve((ctx, c) -> List.of(TIME), "AMT_TimeSynchronizationService")
                .serve((ctx, c) -> List.of(CimInstance.builder("CIM_AssociatedPowerManagementService")
                        .key("ServiceProvided", POWER.path()).key("UserOfService", SYSTEM).property("PowerState", 2)
                        .build()), "CIM_AssociatedPowerManagementService")
                .serve((ctx, c) -> List.of(
                        CimInstance.builder("CIM_HostedService").key("Antecedent", SYSTEM).key("Dependent", POWER.path())
                                .build(),
                        CimInstance.builder("CIM_HostedService").key("Antecedent", SYSTEM).key("Dependent", TIME.path())
                                .build()), "CIM_HostedService")
                .manager();
        UserStore users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        TestTransport handler = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, e -> { }), 65536, 64, 2_000, 60_000)
                .machine(VM_UUID, "desktop-01")
                .serve(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class,
                        Map.of("enumerationIdleSeconds", 60_000L / 1000, "maxEnumerationsPerUser", 4))), "/wsman");
        listener = handler.listen(port);
        client = new DigestClient("http://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
    }

    @AfterEach
    void stop() {
        listener.close();
    }

    /** The Enumerate body wsmancli builds for --associations / --references, with optional names. */
    static String associationFilter(String query, String objectUri, String selectors, String extra) {
        return "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\" xmlns:b=\"" + Ns.WSMB + "\">"
                + "<w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>10</w:MaxElements>"
                + "<w:Filter Dialect=\"" + Ns.ASSOCIATION_FILTER + "\"><b:" + query + "><b:Object>"
                + "<a:Address>" + Ns.ANONYMOUS + "</a:Address><a:ReferenceParameters>"
                + "<w:ResourceURI>" + objectUri + "</w:ResourceURI><w:SelectorSet>" + selectors
                + "</w:SelectorSet></a:ReferenceParameters></b:Object>" + extra + "</b:" + query + "></w:Filter>"
                + "</n:Enumerate>";
    }

    static final String SYSTEM_SELECTORS = "<w:Selector Name=\"CreationClassName\">CIM_ComputerSystem</w:Selector>"
            + "<w:Selector Name=\"Name\">ManagedSystem</w:Selector>";

    HttpResponse<String> enumerate(String resourceUri, String body) throws Exception {
        return client.post(WsmanEndpointTest.envelope(Ns.ACTION_ENUMERATE, resourceUri, null, body));
    }

    @Test
    void associatedInstancesOnTheAllClassesUriReturnRealClasses() throws Exception {
        HttpResponse<String> r = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociatedInstances",
                CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS, ""));
        assertEquals(200, r.statusCode(), r.body());
        String xml = r.body();
        assertTrue(xml.contains("<c:ResourceURI>" + ResourceUris.ALL_CLASSES + "</c:ResourceURI>"), xml);
        assertTrue(xml.contains("xmlns:h=\"" + CIM + "CIM_PowerManagementService\""), xml);
        assertTrue(xml.contains("xmlns:j=\"" + AMT + "AMT_TimeSynchronizationService\""), xml);
        assertEquals(1, xml.split("<h:CIM_PowerManagementService>").length - 1, "reached twice, listed once: " + xml);
        assertEquals(1, xml.split("<j:AMT_TimeSynchronizationService>").length - 1, xml);
        assertTrue(xml.contains("<c:EndOfSequence></c:EndOfSequence>"), xml);
        assertFalse(xml.contains("EnumerationContext"), xml);
        WsmanEndpointTest.assertMeshCentralFriendly(xml);
    }

    @Test
    void wsmancliStyleEmptyElementsAndNarrowingNames() throws Exception {
        // wsmancli writes every optional element, empty when not asked for.
        HttpResponse<String> empty = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociatedInstances",
                CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS, "<b:AssociationClassName></b:AssociationClassName>"
                        + "<b:ResultClassName></b:ResultClassName><b:Role></b:Role><b:ResultRole></b:ResultRole>"));
        assertEquals(200, empty.statusCode(), empty.body());
        assertTrue(empty.body().contains("AMT_TimeSynchronizationService>"), empty.body());

        HttpResponse<String> viaPower = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociatedInstances",
                CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS,
                "<b:AssociationClassName>CIM_ServiceAvailableToElement</b:AssociationClassName>"
                        + "<b:Role>UserOfService</b:Role><b:ResultRole>ServiceProvided</b:ResultRole>"));
        assertEquals(200, viaPower.statusCode(), viaPower.body());
        assertTrue(viaPower.body().contains("<h:CIM_PowerManagementService>"), viaPower.body());
        assertFalse(viaPower.body().contains("AMT_TimeSynchronizationService>"), viaPower.body());

        HttpResponse<String> wrongRole = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociatedInstances",
                CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS, "<b:Role>ServiceProvided</b:Role>"));
        assertEquals(200, wrongRole.statusCode(), wrongRole.body());
        assertTrue(wrongRole.body().contains("<c:Items></c:Items>"), wrongRole.body());

        HttpResponse<String> byResultClass = enumerate(ResourceUris.ALL_CLASSES, associationFilter(
                "AssociatedInstances", CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS,
                "<b:ResultClassName>AMT_TimeSynchronizationService</b:ResultClassName>"));
        assertTrue(byResultClass.body().contains("AMT_TimeSynchronizationService>"), byResultClass.body());
        assertFalse(byResultClass.body().contains("CIM_PowerManagementService>"), byResultClass.body());

        HttpResponse<String> onClassUri = enumerate(CIM + "CIM_PowerManagementService", associationFilter(
                "AssociatedInstances", CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS, ""));
        assertEquals(200, onClassUri.statusCode(), onClassUri.body());
        assertTrue(onClassUri.body().contains("<h:CIM_PowerManagementService>"), onClassUri.body());
        assertFalse(onClassUri.body().contains("AMT_TimeSynchronizationService>"), "a class URI narrows");
    }

    @Test
    void associationInstancesFromTheServiceSide() throws Exception {
        String serviceSelectors = "<w:Selector Name=\"CreationClassName\">CIM_PowerManagementService</w:Selector>"
                + "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector>"
                + "<w:Selector Name=\"SystemCreationClassName\">CIM_ComputerSystem</w:Selector>"
                + "<w:Selector Name=\"SystemName\">Intel(r) AMT</w:Selector>";
        HttpResponse<String> all = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociationInstances",
                CIM + "CIM_PowerManagementService", serviceSelectors, ""));
        assertEquals(200, all.statusCode(), all.body());
        assertTrue(all.body().contains("<h:CIM_AssociatedPowerManagementService><h:PowerState>2</h:PowerState>")
                || all.body().contains(":CIM_AssociatedPowerManagementService>"), all.body());
        assertTrue(all.body().contains(":CIM_HostedService>"), all.body());
        assertTrue(all.body().contains("<c:Selector Name=\"Name\">ManagedSystem</c:Selector>"), all.body());

        HttpResponse<String> byClass = enumerate(ResourceUris.ALL_CLASSES, associationFilter("AssociationInstances",
                CIM + "CIM_PowerManagementService", serviceSelectors,
                "<b:ResultClassName>CIM_ServiceAvailableToElement</b:ResultClassName><b:Role>ServiceProvided</b:Role>"));
        assertTrue(byClass.body().contains(":CIM_AssociatedPowerManagementService>"), byClass.body());
        assertFalse(byClass.body().contains(":CIM_HostedService>"), byClass.body());

        // A plain (non-optimized) Enumerate + Pull works the same, MeshCentral style.
        String body = associationFilter("AssociationInstances", CIM + "CIM_PowerManagementService", serviceSelectors,
                "").replace("<w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>10</w:MaxElements>", "");
        HttpResponse<String> e = enumerate(CIM + "CIM_HostedService", body);
        Matcher m = Pattern.compile("<g:EnumerationContext>([^<]+)</g:EnumerationContext>").matcher(e.body());
        assertTrue(m.find(), e.body());
        HttpResponse<String> p = client.post(WsmanEndpointTest.envelope(Ns.ACTION_PULL, CIM + "CIM_HostedService", null,
                "<n:Pull xmlns:n=\"" + Ns.WSEN + "\"><n:EnumerationContext>" + m.group(1)
                        + "</n:EnumerationContext><n:MaxElements>999</n:MaxElements></n:Pull>"));
        assertEquals(200, p.statusCode(), p.body());
        assertEquals(1, p.body().split("<h:CIM_HostedService>").length - 1, p.body());
        assertFalse(p.body().contains("CIM_AssociatedPowerManagementService>"), p.body());
    }

    @Test
    void selectorFilterOnAClassUri() throws Exception {
        String filter = "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\"><w:OptimizeEnumeration></w:OptimizeEnumeration>"
                + "<w:MaxElements>10</w:MaxElements><w:Filter Dialect=\"" + Ns.SELECTOR_FILTER + "\"><w:SelectorSet>"
                + "<w:Selector Name=\"Dependent\"><a:EndpointReference><a:Address>" + Ns.ANONYMOUS
                + "</a:Address><a:ReferenceParameters><w:ResourceURI>" + AMT + "AMT_TimeSynchronizationService"
                + "</w:ResourceURI><w:SelectorSet>"
                + "<w:Selector Name=\"CreationClassName\">AMT_TimeSynchronizationService</w:Selector>"
                + "<w:Selector Name=\"Name\">Intel(r) AMT Time Synchronization Service</w:Selector>"
                + "<w:Selector Name=\"SystemCreationClassName\">CIM_ComputerSystem</w:Selector>"
                + "<w:Selector Name=\"SystemName\">Intel(r) AMT</w:Selector>"
                + "</w:SelectorSet></a:ReferenceParameters></a:EndpointReference></w:Selector>"
                + "</w:SelectorSet></w:Filter></n:Enumerate>";
        HttpResponse<String> r = enumerate(CIM + "CIM_HostedService", filter);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, r.body().split("<h:CIM_HostedService>").length - 1, r.body());
        assertTrue(r.body().contains("AMT_TimeSynchronizationService</c:Selector>"), r.body());

        HttpResponse<String> byName = enumerate(CIM + "CIM_PowerManagementService", filter.replaceAll(
                "<w:Selector Name=\"Dependent\">.*</w:Selector></w:SelectorSet></w:Filter>",
                "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector></w:SelectorSet></w:Filter>"));
        assertEquals(200, byName.statusCode(), byName.body());
        assertTrue(byName.body().contains("<h:CIM_PowerManagementService>"), byName.body());
        HttpResponse<String> none = enumerate(CIM + "CIM_PowerManagementService", filter.replaceAll(
                "<w:Selector Name=\"Dependent\">.*</w:Selector></w:SelectorSet></w:Filter>",
                "<w:Selector Name=\"Name\">nothing</w:Selector></w:SelectorSet></w:Filter>"));
        assertTrue(none.body().contains("<c:Items></c:Items>"), none.body());
    }

    @Test
    void unsupportedOrBrokenFiltersAreEnumerationFaults() throws Exception {
        HttpResponse<String> xpath = enumerate(CIM + "CIM_HostedService", "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\">"
                + "<w:Filter Dialect=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">/x</w:Filter></n:Enumerate>");
        assertEquals(400, xpath.statusCode(), xpath.body());
        assertTrue(xpath.body().contains(":FilterDialectRequestedUnavailable</a:Value>"), xpath.body());
        assertTrue(xpath.body().contains("<b:Action a:mustUnderstand=\"true\">" + Ns.WSEN + "/fault</b:Action>"),
                xpath.body());
        WsmanEndpointTest.assertMeshCentralFriendly(xpath.body());

        HttpResponse<String> noDialect = enumerate(CIM + "CIM_HostedService", "<n:Enumerate xmlns:n=\"" + Ns.WSEN
                + "\"><n:Filter>/x</n:Filter></n:Enumerate>");
        assertTrue(noDialect.body().contains(":FilterDialectRequestedUnavailable</a:Value>"), noDialect.body());

        String[] broken = {
            // no query element
            "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\"><w:Filter Dialect=\"" + Ns.ASSOCIATION_FILTER
                    + "\"></w:Filter></n:Enumerate>",
            // no Object
            associationFilter("AssociatedInstances", CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS, "")
                    .replaceAll("<b:Object>.*</b:Object>", ""),
            // Object of a class outside every schema
            associationFilter("AssociatedInstances", "urn:nothing", SYSTEM_SELECTORS, ""),
            // an object that does not exist
            associationFilter("AssociatedInstances", CIM + "CIM_ComputerSystem",
                    SYSTEM_SELECTORS.replace("ManagedSystem", "Elsewhere"), ""),
            // selectors that are not the keys
            associationFilter("AssociatedInstances", CIM + "CIM_ComputerSystem",
                    "<w:Selector Name=\"Color\">red</w:Selector>", ""),
            // unknown association class, and a name that is no CIM name
            associationFilter("AssociatedInstances", CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS,
                    "<b:AssociationClassName>CIM_Nothing</b:AssociationClassName>"),
            associationFilter("AssociationInstances", CIM + "CIM_ComputerSystem", SYSTEM_SELECTORS,
                    "<b:ResultClassName>CIM_x y</b:ResultClassName>"),
        };
        for (String body : broken) {
            HttpResponse<String> r = enumerate(ResourceUris.ALL_CLASSES, body);
            assertEquals(400, r.statusCode(), body + "\n" + r.body());
            assertTrue(r.body().contains(":CannotProcessFilter</a:Value>"), body + "\n" + r.body());
        }

        HttpResponse<String> allWithoutFilter = enumerate(ResourceUris.ALL_CLASSES,
                "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\"></n:Enumerate>");
        assertEquals(400, allWithoutFilter.statusCode());
        assertTrue(allWithoutFilter.body().contains(":CannotProcessFilter</a:Value>"), allWithoutFilter.body());
        HttpResponse<String> allGet = client.post(WsmanEndpointTest.envelope(Ns.ACTION_GET, ResourceUris.ALL_CLASSES,
                null, null));
        assertEquals(400, allGet.statusCode(), "the all-classes URI is for filtered Enumerate only");
        assertTrue(allGet.body().contains("<a:Value>b:DestinationUnreachable</a:Value>"), allGet.body());
    }

    /**
     * Debian's WS-Management shell client (package wsl, installed by {@code ./vamt test}) over
     * HTTP Digest: its association filter, which it sends on the all-classes URI. Note that wsl
     * names its options the other way round: {@code -references} asks for AssociatedInstances.
     */
    @Test
    void debianWslClientFollowsAssociations() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("wslenum", CIM + "CIM_ComputerSystem", "-references",
                "CreationClassName=CIM_ComputerSystem", "Name=ManagedSystem").directory(wslDir.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("WSENDPOINT", "127.0.0.2:" + port);
        env.put("WSUSER", "admin");
        env.put("WSPASS", PASSWORD);
        env.put("WSNOSSL", "1");
        env.put("USEWGET", "1");
        env.put("WSAUTOMATED", "1");
        env.put("KEEPHISTORY", "0");
        env.put("OUTLEVEL", "1");
        env.put("HOME", wslDir.toString());
        Process wsl = pb.start();
        String out = new String(wsl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(wsl.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), out);
        assertEquals(0, wsl.exitValue(), out);
        assertTrue(out.contains("<h:CIM_PowerManagementService>"), out);
        assertTrue(out.contains("AMT_TimeSynchronizationService>"), out);
        assertFalse(out.contains("Fault"), out);
    }
}
