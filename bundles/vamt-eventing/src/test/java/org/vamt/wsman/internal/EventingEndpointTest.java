package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.eventing.internal.EventingTestAccess;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.wsman.eventing.EventSubscriptions;

/**
 * WS-Eventing through the real WS-Management service over real HTTP with Digest, to the real
 * subscriptions service on libvirt's test driver: the answers, and the fault for each kind of bad
 * input. In this package because the service binds its subscriptions through a DS method.
 */
class EventingEndpointTest {
    private static final String PASSWORD = "P@ssw0rd-test";
    private static final String WSE = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
    private static final String ALL = "http://schemas.dmtf.org/wbem/wscim/1/*";
    @TempDir
    Path etc;
    private DemoHypervisor demo;
    private TestTransport listener;
    private EventSubscriptions subscriptions;
    private DigestClient admin;
    private DigestClient viewer;
    private final List<AuditEvent> audited = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UserStore users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        users.add("viewer", "V1ewer!pass".toCharArray(), Set.of(AmtRealm.HARDWARE_ASSET), Set.of(DESKTOP_01));
        CimObjectManager cimom = new TestCimom().access(users::permits).manager();
        subscriptions = EventingTestAccess.service(demo.hypervisor(), users::permits, 2, etc);
        WsmanService wsman = new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class, Map.of()));
        wsman.bindSubscriptions(subscriptions);
        listener = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, audited::add), 65536, 4, 200,
                5_000).machine(DESKTOP_01, "desktop-01").serve(wsman, "/wsman").listen(port);
        admin = new DigestClient("http://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
        viewer = new DigestClient("http://127.0.0.2:" + port + "/wsman", "viewer", "V1ewer!pass");
    }

    @AfterEach
    void stop() throws Exception {
        listener.close();
        ((AutoCloseable) subscriptions).close();
        demo.close();
    }

    /** A Subscribe as MeshCentral's amt-wsman.js ExecSubscribe writes it, with a few knobs. */
    static String subscribe(String resourceUri, String mode, String notifyTo, String expires, boolean credentials) {
        String delivery = mode == null ? "<e:Delivery>" : "<e:Delivery Mode=\"" + mode + "\">";
        return "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:e=\"" + WSE + "\" "
                + "xmlns:m=\"http://x.com\"><Header>"
                + "<a:Action>" + WSE + "/Subscribe</a:Action><a:To>/wsman</a:To><w:ResourceURI>" + resourceUri
                + "</w:ResourceURI><a:MessageID>1</a:MessageID><a:ReplyTo><a:Address>"
                + "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
                + "<w:SelectorSet><w:Selector Name=\"Name\">Intel(r) AMT:AllEvents</w:Selector></w:SelectorSet>"
                + (credentials ? "<t:IssuedTokens xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
                + "xmlns:se=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
                + "<t:RequestSecurityTokenResponse><t:TokenType>http://docs.oasis-open.org/wss/2004/01/"
                + "oasis-200401-wss-username-token-profile-1.0#UsernameToken</t:TokenType><t:RequestedSecurityToken>"
                + "<se:UsernameToken><se:Username>console</se:Username><se:Password>Sub-Secret-9</se:Password>"
                + "</se:UsernameToken></t:RequestedSecurityToken></t:RequestSecurityTokenResponse></t:IssuedTokens>"
                : "")
                + "</Header><Body><e:Subscribe>" + delivery + "<e:NotifyTo><a:Address>" + notifyTo
                + "</a:Address><a:ReferenceParameters><m:arg>node-1</m:arg></a:ReferenceParameters></e:NotifyTo>"
                + (credentials ? "<w:Auth Profile=\"http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest\"/>"
                : "")
                + "</e:Delivery>" + (expires == null ? "" : "<e:Expires>" + expires + "</e:Expires>")
                + "</e:Subscribe></Body></Envelope>";
    }

    static String byIdentifier(String action, String identifier, String body) {
        return "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" xmlns:e=\"" + WSE + "\"><s:Header>"
                + "<a:Action>" + WSE + "/" + action + "</a:Action><a:To>/wsman</a:To><w:ResourceURI>"
                + "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_IndicationSubscription</w:ResourceURI>"
                + "<a:MessageID>2</a:MessageID><e:Identifier>" + identifier + "</e:Identifier></s:Header><s:Body>"
                + body + "</s:Body></s:Envelope>";
    }

    private static String fault(HttpResponse<String> r) {
        assertEquals(400, r.statusCode(), r.body());
        Matcher m = Pattern.compile("<a:Subcode><a:Value>([^<]+)</a:Value>").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    @Test
    void subscribeRenewStatusAndUnsubscribeAreAnsweredAndAudited() throws Exception {
        HttpResponse<String> r = admin.post(subscribe(ALL, "http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck",
                "http://127.0.0.1:9/events", "PT600S", true));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(WSE + "/SubscribeResponse"), r.body());
        assertTrue(r.body().contains("<g:Expires>PT"), r.body());
        assertFalse(r.body().contains("Sub-Secret-9"), r.body());
        Matcher id = Pattern.compile("<g:Identifier>([^<]+)</g:Identifier>").matcher(r.body());
        assertTrue(id.find(), r.body());

        HttpResponse<String> renewed = admin.post(byIdentifier("Renew", id.group(1),
                "<e:Renew><e:Expires>PT3600S</e:Expires></e:Renew>"));
        assertEquals(200, renewed.statusCode(), renewed.body());
        assertTrue(renewed.body().matches("(?s).*<g:Expires>PT3[56]\\d\\dS</g:Expires>.*"), renewed.body());
        HttpResponse<String> status = admin.post(byIdentifier("GetStatus", id.group(1), "<e:GetStatus/>"));
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(status.body().contains("GetStatusResponse"), status.body());
        HttpResponse<String> gone = admin.post(byIdentifier("Unsubscribe", id.group(1), "<e:Unsubscribe/>"));
        assertEquals(200, gone.statusCode(), gone.body());
        assertTrue(gone.body().contains(WSE + "/UnsubscribeResponse"), gone.body());
        assertEquals("b:DestinationUnreachable", fault(admin.post(byIdentifier("GetStatus", id.group(1),
                "<e:GetStatus/>"))));
        assertEquals("f:UnableToRenew", fault(admin.post(byIdentifier("Renew", id.group(1),
                "<e:Renew><e:Expires>PT60S</e:Expires></e:Renew>"))));

        List<String> events = audited.stream().map(a -> a.appId() + "/" + a.eventId()).toList();
        assertEquals(List.of("24/0", "24/1"), events, "Alert Subscribed, Alert Unsubscribed");
    }

    @Test
    void badInputGetsTheWsEventingFault() throws Exception {
        assertEquals("f:DeliveryModeRequestedUnavailable", fault(admin.post(subscribe(ALL,
                "http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull", "http://127.0.0.1:9/e", null, false))));
        assertEquals("f:InvalidExpirationTime", fault(admin.post(subscribe(ALL, null, "http://127.0.0.1:9/e",
                "PT0S", false))));
        assertEquals("f:InvalidExpirationTime", fault(admin.post(subscribe(ALL, null, "http://127.0.0.1:9/e",
                "soon", false))));
        assertEquals("f:UnsupportedExpirationType", fault(admin.post(subscribe(ALL, null, "http://127.0.0.1:9/e",
                "2030-01-01T00:00:00Z", false))));
        assertEquals("e:InvalidParameter", fault(admin.post(subscribe(ALL, null, "file:///etc/passwd", null, false))));
        assertEquals("f:FilteringRequestedUnavailable", fault(admin.post(subscribe(
                "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_BootSettingData", null, "http://127.0.0.1:9/e",
                null, false))));
        assertEquals("e:AccessDenied", fault(viewer.post(subscribe(ALL, null, "http://127.0.0.1:9/e", null, false))));
        // the VM takes two (this test's limit); the third is refused
        assertEquals(200, admin.post(subscribe(ALL, null, "http://127.0.0.1:9/a", null, false)).statusCode());
        assertEquals(200, admin.post(subscribe(ALL, null, "http://127.0.0.1:9/b", null, true)).statusCode());
        assertEquals("f:EventSourceUnableToProcess", fault(admin.post(subscribe(ALL, null, "http://127.0.0.1:9/c",
                null, false))));
        assertEquals("f:UnableToRenew", fault(admin.post(byIdentifier("Renew", "uuid:nothing",
                "<e:Renew><e:Expires>PT60S</e:Expires></e:Renew>"))));
        assertFalse(demo.hypervisor().definitionXml(DESKTOP_01).contains("Sub-Secret-9"),
                "the subscriber's password is in clear in the domain XML");
    }
}
