package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.security.digest.DigestClient;

/** Drives a real CXF/Jetty listener over real sockets with the real CIMOM behind it. */
class WsmanEndpointTest {
    private static final String VM_UUID = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    private static final String PASSWORD = "P@ssw0rd-test";
    private static final String CIM = ResourceUris.CIM;

    @TempDir
    Path etc;
    UserStore users;
    final List<AuditEvent> audited = new java.util.concurrent.CopyOnWriteArrayList<>();
    int port;
    TestTransport listener;
    DigestClient client;
    final java.util.List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    static final String MOF = """
            class CIM_ManagedElement { string ElementName; };
            class CIM_PowerManagementService : CIM_ManagedElement {
                [Key] string CreationClassName; [Key] string Name; uint16 EnabledState;
                uint32 RequestPowerStateChange([In] uint16 PowerState, [In] CIM_ManagedElement REF ManagedElement,
                    [Out] string Echo);
                uint32 Schedule([In, EmbeddedInstance ("AMT_Policy")] string Template, [Out] string Echo);
            };
            class CIM_ComputerSystem : CIM_ManagedElement { [Key] string Name; };
            [Association] class CIM_ServiceAvailableToElement {
                [Key] CIM_PowerManagementService REF ServiceProvided; [Key] CIM_ManagedElement REF UserOfService; };
            [Association] class CIM_AssociatedPowerManagementService : CIM_ServiceAvailableToElement {
                uint16 PowerState; uint16 AvailableRequestedPowerStates[]; datetime Since; };
            class CIM_PhysicalPackage : CIM_ManagedElement { [Key] string Tag; [Key] string CreationClassName; };
            class CIM_Card : CIM_PhysicalPackage { boolean HostingBoard; };
            class AMT_Policy : CIM_ManagedElement { [Key] string InstanceID; string PolicyName; };
            class AMT_GeneralSettings : CIM_ManagedElement {
                [Key] string InstanceID; [Write] string HostName; string DigestRealm; };
            """;
    String hostName = "vm";
    final java.util.Map<String, CimInstance> policies = new java.util.LinkedHashMap<>();

    /** Test fixture provider: a power service with a method, a multi-instance class, a writable class. */
    final class FixtureProvider implements CimProvider {
        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            if (className.equals("AMT_Policy")) {
                return List.copyOf(policies.values());
            }
            if (className.equals("AMT_GeneralSettings")) {
                return List.of(CimInstance.builder(className).key("InstanceID", "Intel(r) AMT: General Settings")
                        .property("HostName", hostName).property("DigestRealm", ctx.digestRealm()).build());
            }
            if (className.equals("CIM_PhysicalPackage")) {
                return List.of(pkg("CIM_PhysicalPackage", "DISK 0"), pkg("CIM_Card", "CIM_Card"),
                        pkg("CIM_PhysicalPackage", "DISK 1"));
            }
            if (className.equals("CIM_PowerManagementService")) {
                return List.of(CimInstance.builder(className).key("CreationClassName", className)
                        .key("Name", "Intel(r) AMT Power Management Service").property("EnabledState", 5)
                        .property("ElementName", ctx.machineName()).build());
            }
            return List.of(
                    CimInstance.builder("CIM_AssociatedPowerManagementService").property("PowerState", 2)
                            .property("AvailableRequestedPowerStates", List.of(8, 10))
                            .key("ServiceProvided", servicePath("p"))
                            .key("UserOfService", CimObjectPath.of("CIM_ComputerSystem", "Name", "ManagedSystem"))
                            .property("Since", CimDateTime.interval("P1D")).build(),
                    CimInstance.builder("CIM_AssociatedPowerManagementService").property("PowerState", 8)
                            .key("ServiceProvided", CimObjectPath.of("CIM_PowerManagementService", "Name", "q"))
                            .key("UserOfService", CimObjectPath.of("CIM_ComputerSystem", "Name", "Other")).build());
        }

        /** A reference whose keys come out of the provider in non-alphabetical order. */
        private static CimObjectPath servicePath(String name) {
            Map<String, Object> keys = new java.util.LinkedHashMap<>();
            keys.put("Name", name);
            keys.put("CreationClassName", "CIM_PowerManagementService");
            return new CimObjectPath("CIM_PowerManagementService", keys);
        }

        private static CimInstance pkg(String className, String tag) {
            return CimInstance.builder(className).key("Tag", tag).key("CreationClassName", className).build();
        }

        @Override
        public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) {
            // The client's InstanceID is a dummy, as MeshCommander sends it; the provider assigns one.
            CimInstance stored = CimInstance.builder("AMT_Policy").key("InstanceID", "Policy " + (policies.size() + 1))
                    .property("PolicyName", instance.get("PolicyName")).build();
            policies.put((String) stored.get("InstanceID"), stored);
            return stored.path();
        }

        @Override
        public void deleteInstance(RequestContext ctx, CimInstance instance) {
            policies.remove((String) instance.get("InstanceID"));
        }

        @Override
        public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified) {
            hostName = (String) modified.get("HostName");
            return modified;
        }

        @Override
        public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                         Map<String, Object> arguments) throws CimException {
            calls.add(method + " " + arguments);
            if ("7".equals(String.valueOf(arguments.get("PowerState")))) {
                // a hypervisor that hangs until the test lets go, waited for as vamt-libvirt does:
                // until the operation's deadline, which then expires
                org.vamt.hypervisor.OperationDeadline d = org.vamt.hypervisor.OperationDeadline.current();
                try {
                    if (!release.await(Math.max(0, d.remainingNanos()), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                        d.expire("the hypervisor did not answer in time");
                        throw new CimException(CimStatus.UNAVAILABLE, "the hypervisor did not answer");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new MethodResult(0, Map.of("Echo", String.valueOf(arguments.get("PowerState"))));
        }
    }

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        // realm rules as the real providers declare them, enforced by the CIMOM with the real users
        CimObjectManager cimom = new TestCimom(MOF).serve(new FixtureProvider(), "CIM_PowerManagementService",
                "CIM_AssociatedPowerManagementService", "AMT_GeneralSettings", "AMT_Policy", "CIM_PhysicalPackage")
                .realm("AMT_GeneralSettings", "*,3").realm("CIM_PowerManagementService", "5")
                .access(users::permits).manager();
        TestTransport handler = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, audited::add), 65536, 2, 200, 5_000)
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

    static String envelope(String action, String resourceUri, String selectors, String body) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + action + "</a:Action><a:To>/wsman</a:To>"
                + (resourceUri == null ? "" : "<w:ResourceURI>" + resourceUri + "</w:ResourceURI>")
                + "<a:MessageID>42</a:MessageID>"
                + (selectors == null ? "" : "<w:SelectorSet>" + selectors + "</w:SelectorSet>")
                + "</s:Header><s:Body>" + (body == null ? "" : body) + "</s:Body></s:Envelope>";
    }

    static void assertMeshCentralFriendly(String xml) {
        assertFalse(Pattern.compile("<[^>]*[^ ]/>").matcher(xml).find(), "no self-closing tags: " + xml);
        Matcher m = Pattern.compile("xmlns:").matcher(xml);
        int declarations = 0;
        while (m.find()) {
            declarations++;
        }
        String envelopeTag = xml.substring(xml.indexOf("<a:Envelope"), xml.indexOf('>', xml.indexOf("<a:Envelope")));
        assertEquals(declarations, envelopeTag.split("xmlns:").length - 1, "all prefixes declared on the Envelope");
    }

    @Test
    void identifyNeedsNoCredentials() throws Exception {
        HttpResponse<String> r = client.raw("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header></s:Header>"
                + "<s:Body><i:Identify></i:Identify></s:Body></s:Envelope>", null);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("<b:ProductVersion>AMT 16.1</b:ProductVersion>"), r.body());
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307",
                r.headers().firstValue("Server").orElseThrow());
    }

    @Test
    void challengeLooksLikeRealAmt() throws Exception {
        HttpResponse<String> r = client.raw(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null),
                null);
        assertEquals(401, r.statusCode());
        String challenge = r.headers().firstValue("WWW-Authenticate").orElseThrow();
        assertTrue(challenge.matches("Digest realm=\"Digest:55E3AE13BFD261BB17A088AEDD7037EA\", "
                + "nonce=\"[A-Za-z0-9+/]{32}\",stale=\"false\",qop=\"auth\""), challenge);
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307",
                r.headers().firstValue("Server").orElseThrow());
    }

    @Test
    void connectionIsClosedAfter401AndServerHeaderComesOnGet() throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.2"), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 401 "), answer);
            assertTrue(answer.contains("\r\nServer: Intel(R) Active Management Technology 16.1.30.2307\r\n"), answer);
            assertTrue(answer.contains("\r\nConnection: close\r\n"), answer);
        }
    }

    @Test
    void getSingletonWithoutSelectors() throws Exception {
        HttpResponse<String> r = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null));
        assertEquals(200, r.statusCode(), r.body());
        String xml = r.body();
        assertTrue(xml.contains("<g:ElementName>desktop-01</g:ElementName>"), xml);
        assertTrue(xml.contains("<b:RelatesTo>42</b:RelatesTo>"), xml);
        assertTrue(xml.contains("<c:ResourceURI>" + CIM + "CIM_PowerManagementService</c:ResourceURI>"), xml);
        assertTrue(xml.contains("<b:Action a:mustUnderstand=\"true\">" + Ns.WXF + "/GetResponse</b:Action>"), xml);
        assertMeshCentralFriendly(xml);
    }

    @Test
    void enumerateThenPullReturnsEverythingAndNoContextAtTheEnd() throws Exception {
        String uri = CIM + "CIM_ServiceAvailableToElement";
        HttpResponse<String> e = client.post(envelope(Ns.ACTION_ENUMERATE, uri, null,
                "<Enumerate xmlns=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" />"));
        assertEquals(200, e.statusCode(), e.body());
        Matcher m = Pattern.compile("<g:EnumerationContext>([^<]+)</g:EnumerationContext>").matcher(e.body());
        assertTrue(m.find(), e.body());
        String pull = "<n:Pull xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><n:EnumerationContext>"
                + m.group(1) + "</n:EnumerationContext><n:MaxElements>999</n:MaxElements>"
                + "<n:MaxCharacters>99999</n:MaxCharacters></n:Pull>";
        HttpResponse<String> p = client.post(envelope(Ns.ACTION_PULL, uri, null, pull));
        assertEquals(200, p.statusCode(), p.body());
        String xml = p.body();
        assertEquals(2, xml.split("<h:CIM_AssociatedPowerManagementService>").length - 1, xml);
        assertTrue(xml.contains("<h:PowerState>2</h:PowerState>"), xml);
        assertTrue(xml.contains("<h:AvailableRequestedPowerStates>8</h:AvailableRequestedPowerStates>"
                + "<h:AvailableRequestedPowerStates>10</h:AvailableRequestedPowerStates>"), xml);
        assertTrue(xml.contains("<c:Selector Name=\"Name\">ManagedSystem</c:Selector>"), xml);
        assertTrue(xml.contains("<c:SelectorSet><c:Selector Name=\"CreationClassName\">CIM_PowerManagementService"
                + "</c:Selector><c:Selector Name=\"Name\">p</c:Selector></c:SelectorSet>"), "selectors in AMT's order: " + xml);
        assertTrue(xml.contains("<h:AvailableRequestedPowerStates>10</h:AvailableRequestedPowerStates><h:PowerState>2"
                + "</h:PowerState><h:ServiceProvided>"), "properties in ASCII order: " + xml);
        assertTrue(xml.contains("<h:Since><i:Interval>P1D</i:Interval></h:Since>"), xml);
        assertTrue(xml.contains("<g:EndOfSequence></g:EndOfSequence>"), xml);
        assertFalse(xml.contains("EnumerationContext"), "the last PullResponse has no context");
        assertTrue(xml.contains("<c:ResourceURI>" + uri + "</c:ResourceURI>"), xml);
        assertMeshCentralFriendly(xml);
        HttpResponse<String> again = client.post(envelope(Ns.ACTION_PULL, uri, null, pull));
        assertEquals(400, again.statusCode());
        assertTrue(again.body().contains("InvalidEnumerationContext"), again.body());
    }

    /**
     * A class whose instances are of several classes pages as AMT's CIM_PhysicalPackage does: one
     * class per Pull, the context kept while classes remain, the same context pulled again.
     */
    @Test
    void polymorphicEnumerationPagesClassByClass() throws Exception {
        String uri = CIM + "CIM_PhysicalPackage";
        HttpResponse<String> e = client.post(envelope(Ns.ACTION_ENUMERATE, uri, null,
                "<Enumerate xmlns=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" />"));
        Matcher m = Pattern.compile("<g:EnumerationContext>([^<]+)</g:EnumerationContext>").matcher(e.body());
        assertTrue(m.find(), e.body());
        String pull = "<n:Pull xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><n:EnumerationContext>"
                + m.group(1) + "</n:EnumerationContext><n:MaxElements>999</n:MaxElements></n:Pull>";
        String first = client.post(envelope(Ns.ACTION_PULL, uri, null, pull)).body();
        assertEquals(2, first.split("<h:CIM_PhysicalPackage>").length - 1, first);
        assertFalse(first.contains("CIM_Card>"), first);
        assertTrue(first.contains("<g:EnumerationContext>" + m.group(1) + "</g:EnumerationContext>"), first);
        assertFalse(first.contains("EndOfSequence"), first);
        String second = client.post(envelope(Ns.ACTION_PULL, uri, null, pull)).body();
        assertEquals(1, second.split(":CIM_Card>").length / 2, second);
        assertFalse(second.contains("CIM_PhysicalPackage>"), second);
        assertFalse(second.contains("EnumerationContext"), "the last PullResponse has no context: " + second);
        assertTrue(second.contains("<g:EndOfSequence></g:EndOfSequence>"), second);
    }

    @Test
    void optimizedEnumerationWithObjectsAndEprs() throws Exception {
        HttpResponse<String> r = client.post(envelope(Ns.ACTION_ENUMERATE, CIM + "CIM_AssociatedPowerManagementService",
                null, "<n:Enumerate xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
                        + "<w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>1</w:MaxElements>"
                        + "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("<c:Items><c:Item><h:CIM_AssociatedPowerManagementService>"), r.body());
        assertTrue(r.body().contains("</h:CIM_AssociatedPowerManagementService><b:EndpointReference>"), r.body());
        assertTrue(r.body().contains("<g:EnumerationContext>"), "one of two items left: context stays");
    }

    /** An argument holding an instance's properties (AMT's AddAlarm template) reaches the provider as one. */
    @Test
    void anEmbeddedInstanceArgumentReachesTheProviderAsAnInstance() throws Exception {
        String uri = CIM + "CIM_PowerManagementService";
        String policy = ResourceUris.AMT + "AMT_Policy";
        String template = "<d:Template xmlns:d=\"" + uri + "\" xmlns:s=\"" + policy + "\"><s:InstanceID>night</s:InstanceID>"
                + "<s:ElementName><p:Datetime xmlns:p=\"http://schemas.dmtf.org/wbem/wscim/1/common\">2030-01-01T00:00:00Z"
                + "</p:Datetime></s:ElementName><s:PolicyName>a</s:PolicyName><s:PolicyName>b</s:PolicyName></d:Template>";
        HttpResponse<String> r = client.post(envelope(uri + "/Schedule", uri, null,
                "<r:Schedule_INPUT xmlns:r=\"" + uri + "\">" + template + "</r:Schedule_INPUT>"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("Schedule {Template=AMT_Policy{InstanceID=night, ElementName=2030-01-01T00:00:00Z, "
                + "PolicyName=[a, b]}}"), calls, "a datetime wrapper is the value's text, repeated names a list");

        HttpResponse<String> unknown = client.post(envelope(uri + "/Schedule", uri, null,
                "<r:Schedule_INPUT xmlns:r=\"" + uri + "\"><r:Template><x:A xmlns:x=\"urn:nothing\">1</x:A></r:Template>"
                        + "</r:Schedule_INPUT>"));
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("InvalidParameter"), unknown.body());

        String deep = "1";
        for (int i = 0; i < 6; i++) {
            deep = "<s:InstanceID xmlns:s=\"" + policy + "\">" + deep + "</s:InstanceID>";
        }
        HttpResponse<String> tooDeep = client.post(envelope(uri + "/Schedule", uri, null,
                "<r:Schedule_INPUT xmlns:r=\"" + uri + "\"><r:Template>" + deep + "</r:Template></r:Schedule_INPUT>"));
        assertEquals(400, tooDeep.statusCode(), tooDeep.body());
        assertTrue(tooDeep.body().contains("InvalidParameter"), tooDeep.body());
        assertEquals(1, calls.size(), "refused arguments reach no provider");
    }

    @Test
    void invokeWithSelectorsArgumentsAndReferences() throws Exception {
        String uri = CIM + "CIM_PowerManagementService";
        HttpResponse<String> r = client.post(envelope(uri + "/RequestPowerStateChange", uri,
                "<w:Selector Name=\"CreationClassName\">CIM_PowerManagementService</w:Selector>"
                        + "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector>",
                "<r:RequestPowerStateChange_INPUT xmlns:r=\"" + uri + "\"><r:PowerState>8</r:PowerState>"
                        + "<r:ManagedElement><Address xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
                        + "/wsman</Address><ReferenceParameters xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
                        + "<ResourceURI xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">" + CIM
                        + "CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
                        + "<Selector Name=\"Name\">ManagedSystem</Selector></SelectorSet></ReferenceParameters>"
                        + "</r:ManagedElement></r:RequestPowerStateChange_INPUT>"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("<g:RequestPowerStateChange_OUTPUT><g:Echo>8</g:Echo>"
                + "<g:ReturnValue>0</g:ReturnValue></g:RequestPowerStateChange_OUTPUT>"), r.body());
        assertEquals(List.of("RequestPowerStateChange {PowerState=8, ManagedElement=CIM_ComputerSystem{Name=ManagedSystem}}"),
                calls);
    }

    @Test
    void createAnswersTheNewEprAndDeleteRemovesIt() throws Exception {
        String uri = ResourceUris.AMT + "AMT_Policy";
        HttpResponse<String> created = client.post(envelope(Ns.ACTION_CREATE, uri, null,
                "<g:AMT_Policy xmlns:g=\"" + uri + "\"><g:InstanceID >0</g:InstanceID ><g:PolicyName>Isolate"
                        + "</g:PolicyName></g:AMT_Policy>"));
        assertEquals(200, created.statusCode(), created.body());
        assertTrue(created.body().contains("<g:ResourceCreated><b:Address>"), created.body());
        assertTrue(created.body().contains("<c:Selector Name=\"InstanceID\">Policy 1</c:Selector>"), created.body());
        assertMeshCentralFriendly(created.body());
        HttpResponse<String> bad = client.post(envelope(Ns.ACTION_CREATE, uri, null,
                "<g:AMT_Policy xmlns:g=\"" + uri + "\"><g:Color>red</g:Color></g:AMT_Policy>"));
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("InvalidRepresentation"), bad.body());
        HttpResponse<String> deleted = client.post(envelope(Ns.ACTION_DELETE, uri,
                "<w:Selector Name=\"InstanceID\">Policy 1</w:Selector>", null));
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertTrue(policies.isEmpty());
        HttpResponse<String> again = client.post(envelope(Ns.ACTION_DELETE, uri,
                "<w:Selector Name=\"InstanceID\">Policy 1</w:Selector>", null));
        assertEquals(400, again.statusCode(), "deleting what is gone is DestinationUnreachable");
        assertTrue(again.body().contains("DestinationUnreachable"), again.body());
    }

    @Test
    void putChangesWritablePropertiesOnly() throws Exception {
        String uri = ResourceUris.AMT + "AMT_GeneralSettings";
        String body = "<r:AMT_GeneralSettings xmlns:r=\"" + uri + "\"><r:InstanceID>Intel(r) AMT: General Settings"
                + "</r:InstanceID><r:HostName>renamed</r:HostName><r:DigestRealm>Digest:55E3AE13BFD261BB17A088AEDD7037EA"
                + "</r:DigestRealm></r:AMT_GeneralSettings>";
        HttpResponse<String> ok = client.post(envelope(Ns.ACTION_PUT, uri, null, body));
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("<g:HostName>renamed</g:HostName>"), ok.body());
        HttpResponse<String> readOnly = client.post(envelope(Ns.ACTION_PUT, uri, null,
                body.replace("Digest:55E3", "Digest:0000")));
        assertEquals(200, readOnly.statusCode(), "read-only properties sent back are ignored, as AMT does");
        assertTrue(readOnly.body().contains("<g:DigestRealm>Digest:55E3AE13BFD261BB17A088AEDD7037EA</g:DigestRealm>"),
                readOnly.body());
        String service = CIM + "CIM_PowerManagementService";
        HttpResponse<String> readOnlyClass = client.post(envelope(Ns.ACTION_PUT, service, null,
                "<r:CIM_PowerManagementService xmlns:r=\"" + service + "\"><r:EnabledState>3</r:EnabledState>"
                        + "</r:CIM_PowerManagementService>"));
        assertEquals(400, readOnlyClass.statusCode());
        assertTrue(readOnlyClass.body().contains("b:ActionNotSupported"), readOnlyClass.body());
        HttpResponse<String> badValue = client.post(envelope(Ns.ACTION_PUT, uri, null,
                body.replace("<r:HostName>renamed</r:HostName>", "<r:Bogus>1</r:Bogus>")));
        assertEquals(400, badValue.statusCode());
        assertTrue(badValue.body().contains("InvalidRepresentation"), badValue.body());
    }

    @Test
    void faultsAre400WithDsp0226Subcodes() throws Exception {
        HttpResponse<String> unknown = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_Nothing", null, null));
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("<a:Value>b:DestinationUnreachable</a:Value>"), unknown.body());
        assertTrue(unknown.body().contains("<a:Text xml:lang=\"en-US\">No route can be determined to reach the"
                + " destination role defined by the WSAddressing To.</a:Text></a:Reason><a:Detail></a:Detail>"),
                "AMT's reason and empty Detail: " + unknown.body());
        assertTrue(unknown.body().contains(" xmlns:e=\"" + Ns.WSMAN + "\""), "AMT's fault prefixes: " + unknown.body());
        assertMeshCentralFriendly(unknown.body());

        HttpResponse<String> badSelector = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService",
                "<w:Selector Name=\"Color\">red</w:Selector>", null));
        assertEquals(400, badSelector.statusCode());
        assertTrue(badSelector.body().contains("<a:Value>e:InvalidSelectors</a:Value>"), badSelector.body());
        assertTrue(badSelector.body().contains(">The Selectors for the resource are not valid.</a:Text>"),
                badSelector.body());

        HttpResponse<String> noMethod = client.post(envelope(CIM + "CIM_PowerManagementService/Explode",
                CIM + "CIM_PowerManagementService", null, null));
        assertEquals(400, noMethod.statusCode(), "the schema has no such method");
        assertTrue(noMethod.body().contains("b:ActionNotSupported"), noMethod.body());

        HttpResponse<String> wrongType = client.post(envelope(CIM + "CIM_PowerManagementService/RequestPowerStateChange",
                CIM + "CIM_PowerManagementService", null, "<r:RequestPowerStateChange_INPUT xmlns:r=\"" + CIM
                        + "CIM_PowerManagementService\"><r:PowerState>eight</r:PowerState></r:RequestPowerStateChange_INPUT>"));
        assertEquals(400, wrongType.statusCode());
        assertTrue(wrongType.body().contains("e:InvalidParameter"), wrongType.body());

        HttpResponse<String> partialKeys = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService",
                "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector>", null));
        assertEquals(200, partialKeys.statusCode(), "some keys naming the one instance are enough, as on AMT");
        assertTrue(partialKeys.body().contains("<g:EnabledState>5</g:EnabledState>"), partialKeys.body());
        HttpResponse<String> wrongPartialKey = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService",
                "<w:Selector Name=\"Name\">Some Other Service</w:Selector>", null));
        assertEquals(400, wrongPartialKey.statusCode());
        assertTrue(wrongPartialKey.body().contains("<a:Value>b:DestinationUnreachable</a:Value>"),
                wrongPartialKey.body());
        HttpResponse<String> wrongPartialInvoke = client.post(envelope(
                CIM + "CIM_PowerManagementService/RequestPowerStateChange", CIM + "CIM_PowerManagementService",
                "<w:Selector Name=\"Name\">Some Other Service</w:Selector>", "<r:RequestPowerStateChange_INPUT xmlns:r=\""
                        + CIM + "CIM_PowerManagementService\"><r:PowerState>2</r:PowerState></r:RequestPowerStateChange_INPUT>"));
        assertEquals(400, wrongPartialInvoke.statusCode());
        assertTrue(wrongPartialInvoke.body().contains("<a:Value>b:DestinationUnreachable</a:Value>"),
                wrongPartialInvoke.body());
        assertTrue(calls.isEmpty(), "no faulty request reached the provider");

        HttpResponse<String> noTo = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null)
                .replace("<a:To>/wsman</a:To>", ""));
        assertEquals(400, noTo.statusCode());
        assertTrue(noTo.body().contains("MessageInformationHeaderRequired"), noTo.body());

        HttpResponse<String> mustUnderstand = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService",
                null, null).replace("<a:To>", "<x:Secret xmlns:x=\"urn:x\" s:mustUnderstand=\"true\">1</x:Secret><a:To>"));
        assertEquals(400, mustUnderstand.statusCode());
        assertTrue(mustUnderstand.body().contains("<a:Value>a:MustUnderstand</a:Value>"), mustUnderstand.body());
    }

    @Test
    void hostileOrWrongXmlIsRefusedWithAFault() throws Exception {
        HttpResponse<String> emptyUnauthenticated = client.raw("", null);
        assertEquals(401, emptyUnauthenticated.statusCode(), "curl --digest probes with an empty body");
        assertEquals(401, client.raw("<<<not xml", null).statusCode(), "no parser fault before authentication");
        client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null));
        HttpResponse<String> soap11 = client.raw("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                + "<s:Body></s:Body></s:Envelope>", client.authorization());
        assertEquals(400, soap11.statusCode());
        assertTrue(soap11.body().contains("a:VersionMismatch"), soap11.body());
        HttpResponse<String> xxe = client.raw("<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&x;</s:Body></s:Envelope>",
                client.authorization());
        assertEquals(400, xxe.statusCode());
        assertFalse(xxe.body().contains("root:"), "no external entity is ever read");
        HttpResponse<String> garbage = client.raw("<<<not xml", client.authorization());
        assertEquals(400, garbage.statusCode());
        String tooLarge = "<x>" + "a".repeat(70_000) + "</x>";
        assertEquals(401, client.raw(tooLarge, null).statusCode(), "no credentials: challenged, the body unread");
        HttpResponse<String> huge = client.raw(tooLarge, client.authorization());
        assertEquals(400, huge.statusCode());
        assertTrue(huge.body().contains("EncodingLimit"), huge.body());
    }

    @Test
    void wrongPasswordAndReplaysAreRefused() throws Exception {
        DigestClient wrong = new DigestClient(client.url(), "admin", "nope");
        assertEquals(401, wrong.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null))
                .statusCode());
        String get = envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null);
        assertEquals(200, client.post(get).statusCode());
        String replayed = client.authorization("00000001", client.session().cnonce());
        assertEquals(401, client.raw(get, replayed).statusCode(), "same nonce, cnonce and nc twice");
        assertEquals(200, client.raw(get, client.authorization("2", "other")).statusCode(),
                "decimal nc from another relay is fine");
    }

    @Test
    void anExpiredNonceGetsAStaleChallengeAndTheNewNonceWorks() throws Exception {
        listener.close();
        CimObjectManager cimom = new TestCimom(MOF).serve(new FixtureProvider(), "CIM_PowerManagementService")
                .manager();
        TestTransport shortNonces = new TestTransport(TestSecurity.create(users, 5, 60_000, 300, audited::add), 65536, 64, 2_000, 60_000)
                .machine(VM_UUID, "desktop-01")
                .serve(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class,
                        Map.of("enumerationIdleSeconds", 60_000L / 1000, "maxEnumerationsPerUser", 4))), "/wsman");
        listener = shortNonces.listen(port);
        String get = envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null);
        assertEquals(200, client.post(get).statusCode());
        String oldNonce = client.nonce();
        Thread.sleep(600);

        DigestClient wrong = new DigestClient(client.url(), "admin", "nope");
        wrong.session().learn(client.realm(), oldNonce);
        HttpResponse<String> guess = wrong.raw(get, wrong.authorization());
        assertEquals(401, guess.statusCode());
        assertTrue(guess.headers().firstValue("WWW-Authenticate").orElseThrow().contains("stale=\"false\""),
                "stale=true would tell a guesser that the password was right");

        HttpResponse<String> stale = client.raw(get, client.authorization());
        assertEquals(401, stale.statusCode(), "the nonce is older than its lifetime");
        String challenge = stale.headers().firstValue("WWW-Authenticate").orElseThrow();
        assertTrue(challenge.contains("stale=\"true\""), challenge);
        client.learn(stale);
        assertFalse(oldNonce.equals(client.nonce()), "a new nonce is issued");
        HttpResponse<String> retried = client.raw(get, client.authorization());
        assertEquals(200, retried.statusCode(), retried.body());
        assertEquals(1, audited.size(), "the wrong password is a failed login, the expired nonce is not: " + audited);
        shortNonces.close();
    }

    @Test
    void unknownAddressHasNoDevice() throws Exception {
        DigestClient host = new DigestClient("http://127.0.0.1:" + port + "/wsman", "admin", PASSWORD);
        assertEquals(404, host.raw(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null), null)
                .statusCode());
    }

    @Test
    void restartingTheListenerServesWithTheNewHandler() throws Exception {
        listener.close();
        TestTransport replacement = new TestTransport(TestSecurity.create(users, 5, 1000, 1000, e -> { }), 1024, 64,
                2_000, 60_000, "17.0.1.1").machine(VM_UUID, "desktop-01");
        listener = replacement.listen(port);
        HttpResponse<String> r = client.raw("", null);
        assertEquals("Intel(R) Active Management Technology 17.0.1.1", r.headers().firstValue("Server").orElseThrow(),
                "the old Jetty must be gone, not still answering with the old handler");
    }


    @Test
    void aLimitedUserIsDeniedOperationsOutsideItsRealms() throws Exception {
        users.add("viewer", "V1ewer!pass".toCharArray(), java.util.Set.of(AmtRealm.HARDWARE_ASSET),
                java.util.Set.of(VM_UUID));
        DigestClient viewer = new DigestClient(client.url(), "viewer", "V1ewer!pass");
        assertEquals(200, viewer.post(envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null))
                .statusCode(), "what every console reads on connect is open to every user");
        String power = CIM + "CIM_PowerManagementService";
        HttpResponse<String> denied = viewer.post(envelope(Ns.ACTION_GET, power, null, null));
        assertEquals(400, denied.statusCode());
        assertTrue(denied.body().contains("AccessDenied"), denied.body());
        assertTrue(calls.isEmpty());
        users.setRealms("viewer", java.util.Set.of(AmtRealm.HARDWARE_ASSET, AmtRealm.REMOTE_CONTROL));
        assertEquals(200, viewer.post(envelope(Ns.ACTION_GET, power, null, null)).statusCode());
        assertEquals(200, viewer.post(envelope(power + "/RequestPowerStateChange", power, null,
                "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + power + "\"><p:PowerState>2</p:PowerState>"
                        + "</p:RequestPowerStateChange_INPUT>")).statusCode());
    }

    @Test
    void aUserGrantedAnotherVmCannotLogInHere() throws Exception {
        users.add("other", "0ther!Pass".toCharArray(), AmtRealm.all(), java.util.Set.of("another-vm"));
        DigestClient other = new DigestClient(client.url(), "other", "0ther!Pass");
        assertEquals(401, other.post(envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null))
                .statusCode());
        users.grant("other", VM_UUID);
        assertEquals(200, other.post(envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null))
                .statusCode());
    }

    @Test
    void repeatedFailuresLockTheUserOutAndAreAudited() throws Exception {
        users.add("victim", "V1ctim!pass".toCharArray(), AmtRealm.all(), java.util.Set.of(VM_UUID));
        String get = envelope(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings", null, null);
        DigestClient guesser = new DigestClient(client.url(), "victim", "wrong-guess");
        for (int i = 0; i < 7; i++) {
            assertEquals(401, guesser.post(get).statusCode());
        }
        assertEquals(5, audited.stream().filter(a -> a.appId() == 16 && a.eventId() == 5).count(),
                "failures are audited until the lockout, then no more (no flooding)");
        assertEquals("victim", audited.get(0).initiator());
        assertEquals("127.0.0.1", audited.get(0).address());
        DigestClient victim = new DigestClient(client.url(), "victim", "V1ctim!pass");
        assertEquals(401, victim.post(get).statusCode(), "locked out even with the right password");
        assertEquals(200, client.post(get).statusCode(), "other users are not affected");
    }

    @Test
    void changesAreAuditedWithUserAndAddressButReadsAreNot() throws Exception {
        String power = CIM + "CIM_PowerManagementService";
        assertEquals(200, client.post(envelope(Ns.ACTION_GET, power, null, null)).statusCode());
        assertTrue(audited.isEmpty(), "reads are not audited: " + audited);
        assertEquals(200, client.post(envelope(power + "/RequestPowerStateChange", power, null,
                "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + power + "\"><p:PowerState>10</p:PowerState>"
                        + "</p:RequestPowerStateChange_INPUT>")).statusCode());
        assertEquals(1, audited.size());
        AuditEvent e = audited.get(0);
        assertEquals(List.of(17, 3, "admin", "127.0.0.1", VM_UUID),
                List.of(e.appId(), e.eventId(), e.initiator(), e.address(), e.machineId()), "Performed Reset");
    }

    private static String hangingCall(String timeout) {
        String power = CIM + "CIM_PowerManagementService";
        return envelope(power + "/RequestPowerStateChange", power, null,
                "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + power + "\"><p:PowerState>7</p:PowerState>"
                        + "</p:RequestPowerStateChange_INPUT>").replace("<a:MessageID>",
                timeout == null ? "<a:MessageID>" : "<w:OperationTimeout>" + timeout + "</w:OperationTimeout><a:MessageID>");
    }

    @Test
    void operationTimeoutIsHonouredWithATimedOutFault() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = client.post(hangingCall("PT0.3S"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("TimedOut"), r.body());
        assertTrue(ms < 4_000, "answered after " + ms + " ms");
        assertEquals(400, client.post(hangingCall("soon")).statusCode(), "not an xs:duration");
        // the last valid duration is kept parsed: another text is still parsed and checked on its own
        HttpResponse<String> zero = client.post(hangingCall("PT0S"));
        assertEquals(400, zero.statusCode());
        assertTrue(zero.body().contains("InvalidMessageInformationHeader"), zero.body());
        start = System.nanoTime();
        HttpResponse<String> again = client.post(hangingCall("PT0.3S"));
        assertTrue(again.body().contains("TimedOut"), again.body());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 4_000, "the kept PT0.3S still applies");
        release.countDown();
    }

    @Test
    void beyondTheConcurrencyLimitClientsGet503NotAnEndlessQueue() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 2; i++) {
                DigestClient other = new DigestClient(client.url(), "admin", PASSWORD);
                pool.submit(() -> other.post(hangingCall("PT8S")));
            }
            long deadline = System.currentTimeMillis() + 5_000;
            while (calls.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, calls.size(), "both slots taken");
            HttpResponse<String> busy = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService",
                    null, null));
            assertEquals(503, busy.statusCode());
            assertTrue(busy.body().contains("EndpointUnavailable"), busy.body());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            release.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(200, client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null))
                    .statusCode(), "slots come back");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void deeplyNestedOrHeaderFloodedEnvelopesAreRefused() throws Exception {
        String deep = "<x>".repeat(200) + "</x>".repeat(200);
        HttpResponse<String> r = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, deep));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("EncodingLimit"), r.body());
        String headers = "<w:Locale/>".repeat(100);
        HttpResponse<String> h = client.post(envelope(Ns.ACTION_GET, CIM + "CIM_PowerManagementService", null, null)
                .replace("<a:MessageID>", headers + "<a:MessageID>"));
        assertEquals(400, h.statusCode());
        assertTrue(h.body().contains("EncodingLimit"), h.body());
    }
}
