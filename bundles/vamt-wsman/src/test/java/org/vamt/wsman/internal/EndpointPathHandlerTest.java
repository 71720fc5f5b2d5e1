package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.security.digest.DigestClient;

/**
 * Extra paths on the listener (real CXF/Jetty, real sockets, real CIMOM): they get the same
 * Digest door, lockout and realms as /wsman, and their handler sees the authenticated call.
 */
class EndpointPathHandlerTest {
    private static final String VM_UUID = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    private static final String PASSWORD = "P@ssw0rd-test";
    private static final String MOF = """
            class CIM_ManagedElement { string ElementName; };
            class CIM_PowerManagementService : CIM_ManagedElement {
                [Key] string Name; uint32 RequestPowerStateChange([In] uint16 PowerState); };
            class AMT_GeneralSettings : CIM_ManagedElement { [Key] string InstanceID; string HostName; };
            """;

    @TempDir
    Path etc;
    UserStore users;
    final List<AuditEvent> audited = new CopyOnWriteArrayList<>();
    final List<EndpointPathHandler.Call> calls = new CopyOnWriteArrayList<>();
    final List<String> powerRequests = new CopyOnWriteArrayList<>();
    TestTransport handler;
    CimObjectManager cim;
    TestTransport listener;
    int port;

    /** Echoes what it was given; "cim" in the body makes it use the CIMOM, "boom" makes it fail. */
    final EndpointPathHandler echo = call -> {
        calls.add(call);
        String body = new String(call.body(), StandardCharsets.UTF_8);
        if (body.equals("boom")) {
            throw new IllegalStateException("secret internal detail");
        }
        StringBuilder out = new StringBuilder(call.path() + " " + call.context().user() + " "
                + call.context().machineId() + " " + call.header("X-Probe") + " " + body);
        if (body.equals("cim")) {
            try {
                CimInstance s = cim.getInstance(call.context(), CimObjectPath.of("AMT_GeneralSettings"));
                out.append(" host=").append(s.get("HostName"));
                long rv = cim.invokeMethod(call.context(), CimObjectPath.of("CIM_PowerManagementService"),
                        "RequestPowerStateChange", Map.of("PowerState", 8L)).returnValue();
                out.append(" power=").append(rv);
                call.audit(17, 1, new byte[] {7});
            } catch (CimException e) {
                out.append(" denied=").append(e.status());
            }
        }
        return new EndpointPathHandler.Reply(200, "text/xml; charset=utf-8", out.toString());
    };

    final class Provider implements CimProvider {
        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            if (className.equals("AMT_GeneralSettings")) {
                return List.of(CimInstance.builder(className).key("InstanceID", "Intel(r) AMT: General Settings")
                        .property("HostName", ctx.machineName()).build());
            }
            return List.of(CimInstance.builder(className).key("Name", "power").build());
        }

        @Override
        public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                         Map<String, Object> arguments) {
            powerRequests.add(ctx.user() + " " + arguments.get("PowerState"));
            return MethodResult.of(0);
        }
    }

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        // the realms the real providers declare for these classes, enforced by the CIMOM for every path
        cim = new TestCimom(MOF).access(users::permits).serve(new Provider(), Map.of(CimProvider.CLASSES,
                new String[] {"CIM_PowerManagementService", "AMT_GeneralSettings"},
                CimProvider.REALM_PREFIX + "CIM_PowerManagementService", "5",
                CimProvider.REALM_PREFIX + "AMT_GeneralSettings", "*,3")).manager();
        handler = new TestTransport(TestSecurity.create(users, 3, 60_000, 600_000, audited::add), 65536, 2, 200, 5_000)
                .machine(VM_UUID, "desktop-01")
                .serve(new WsmanService(cim, TestConfigs.of(WsmanService.Config.class,
                        Map.of("enumerationIdleSeconds", 60_000L / 1000, "maxEnumerationsPerUser", 4))), "/wsman");
        handler.serve(echo, "/Echo", "/wsman", "bad");
        listener = handler.listen(port);
    }

    @AfterEach
    void stop() {
        listener.close();
        handler.close();
    }

    private DigestClient client(String path, String user, String password) {
        return new DigestClient("http://127.0.0.2:" + port + path, user, password);
    }

    @Test
    void extraPathNeedsDigestAndSeesTheAuthenticatedCall() throws Exception {
        DigestClient admin = client("/Echo", "admin", PASSWORD);
        HttpResponse<String> challenge = admin.raw("hello", null);
        assertEquals(401, challenge.statusCode());
        assertTrue(challenge.headers().firstValue("WWW-Authenticate").orElseThrow()
                .contains("realm=\"Digest:55E3AE13BFD261BB17A088AEDD7037EA\""));
        assertTrue(calls.isEmpty(), "no handler call without credentials");

        admin.learn(challenge);
        HttpResponse<String> r = admin.http().send(java.net.http.HttpRequest.newBuilder(admin.url())
                .header("Authorization", admin.authorization()).header("X-Probe", "p1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("hello")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("/Echo admin " + VM_UUID + " p1 hello", r.body());
        assertEquals("text/xml;charset=utf-8",
                r.headers().firstValue("Content-Type").orElseThrow().toLowerCase().replace(" ", ""));
        assertEquals("Intel(R) Active Management Technology 16.1.30.2307",
                r.headers().firstValue("Server").orElseThrow());
        assertEquals("127.0.0.1", calls.get(0).remoteAddress());
    }

    @Test
    void cimThroughAnExtraPathKeepsTheRealmsOfWsman() throws Exception {
        HttpResponse<String> admin = client("/Echo", "admin", PASSWORD).post("cim");
        assertEquals("/Echo admin " + VM_UUID + " null cim host=desktop-01 power=0", admin.body());
        assertEquals(List.of("admin 8"), powerRequests);
        assertEquals(1, audited.size());
        assertEquals(VM_UUID, audited.get(0).machineId());
        assertEquals("admin", audited.get(0).initiator());

        users.add("viewer", "V1ewer!pass".toCharArray(), Set.of(AmtRealm.HARDWARE_ASSET), Set.of(VM_UUID));
        HttpResponse<String> viewer = client("/Echo", "viewer", "V1ewer!pass").post("cim");
        assertEquals("/Echo viewer " + VM_UUID + " null cim host=desktop-01 denied=ACCESS_DENIED", viewer.body(),
                "general settings are anyone's, power control needs remote-control");
        assertEquals(List.of("admin 8"), powerRequests);
        assertEquals(1, audited.size());
    }

    @Test
    void wrongPasswordsLockTheUserOutOfExtraPathsToo() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(401, client("/Echo", "admin", "wrong").post("hello").statusCode());
        }
        assertEquals(3, audited.size(), "each failed login is audited");
        assertEquals(401, client("/Echo", "admin", PASSWORD).post("hello").statusCode(), "locked out");
        assertTrue(calls.isEmpty());
    }

    @Test
    void unknownPathsAndFailuresAnswerWithoutDetails() throws Exception {
        assertEquals(404, client("/Other", "admin", PASSWORD).post("hello").statusCode());
        assertEquals(404, client("/bad", "admin", PASSWORD).post("hello").statusCode(), "paths must start with /");
        HttpResponse<String> wsman = client("/wsman", "admin", PASSWORD).post("hello");
        assertEquals(400, wsman.statusCode(), "/wsman stays WS-Management");
        assertTrue(calls.isEmpty());

        HttpResponse<String> boom = client("/Echo", "admin", PASSWORD).post("boom");
        assertEquals(500, boom.statusCode());
        assertEquals("Internal error.", boom.body());
        assertFalse(boom.body().contains("secret"));

        handler.withdraw(echo);
        assertEquals(404, client("/Echo", "admin", PASSWORD).post("hello").statusCode(), "gone with its service");
    }
}
