package org.vamt.provider.logs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.provider.logs.internal.AuditFloodEndToEndTest.event;
import static org.vamt.provider.logs.internal.AuditFloodEndToEndTest.initiator;
import static org.vamt.provider.logs.internal.AuditFloodEndToEndTest.invoke;
import static org.vamt.provider.logs.internal.AuditFloodEndToEndTest.invokeUri;
import static org.vamt.provider.logs.internal.AuditFloodEndToEndTest.readAll;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.power.internal.PowerProvider;
import org.vamt.security.AuditEvent;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.wsman.internal.WsmanService;

/**
 * AMT refuses to execute an operation whose event the audit policy marks critical when its record
 * cannot be written (PT_STATUS_AUDIT_FAIL, 2075), end to end: real Jetty through CXF, the door,
 * Digest, the WS-Management handler and CIMOM, the real power provider on the libvirt test driver,
 * and this bundle's audit log and policy rule, all driven as a console drives them.
 */
class CriticalAuditEndToEndTest {
    static final String PASSWORD = "P@ssw0rd-critical";
    static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    static final int POWER_UP = 0;
    static final int POWER_DOWN = 1;

    @TempDir
    Path dir;
    DemoHypervisor demo;
    AuditLogProvider audit;
    TestTransport transport;
    DigestClient admin;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UserStore users = UserStore.open(dir.resolve("users.properties"), PASSWORD, p -> { });
        audit = new AuditLogProvider(demo.hypervisor(), dir.resolve("audit"));
        PowerProvider power = new PowerProvider(demo.hypervisor(), TestConfigs.of(PowerProvider.Config.class,
                Map.of()));
        WsmanService wsman = new WsmanService(new TestCimom()
                .serve(audit, "AMT_AuditLog").realm("AMT_AuditLog", "20")
                .serve(new AuditPolicyRuleProvider(demo.hypervisor()), "AMT_AuditPolicyRule")
                .realm("AMT_AuditPolicyRule", "20")
                .serve(power, "CIM_ComputerSystem", "CIM_PowerManagementService")
                .realm("CIM_PowerManagementService", "5")
                .access(users::permits).manager(), TestConfigs.of(WsmanService.Config.class,
                Map.of("enumerationIdleSeconds", 60L, "maxEnumerationsPerUser", 4)));
        transport = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, audit), 65536, 8, 2_000, 10_000)
                .machine(DESKTOP_01, "desktop-01").serve(wsman, "/wsman").listen(port);
        admin = new DigestClient("http://127.0.0.2:" + port + "/wsman", "admin", PASSWORD);
    }

    @AfterEach
    void stop() {
        transport.close();
        demo.close();
    }

    /** Invokes a method and answers its ReturnValue (the answer must be a method response). */
    long call(String cls, String method, String args) throws Exception {
        return returnValue(admin.post(invoke(cls, method, args)));
    }

    static long returnValue(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        Matcher m = Pattern.compile("ReturnValue>(\\d+)<").matcher(r.body());
        assertTrue(m.find(), r.body());
        return Long.parseLong(m.group(1));
    }

    /** CIM_PowerManagementService.RequestPowerStateChange on the managed system, as consoles send it. */
    HttpResponse<String> power(int state) throws Exception {
        String uri = CIM + "CIM_PowerManagementService";
        return admin.post(invokeUri(uri, "RequestPowerStateChange", "<h:PowerState>" + state + "</h:PowerState>"
                + "<h:ManagedElement><Address xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">/wsman"
                + "</Address><ReferenceParameters xmlns=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
                + "<ResourceURI xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">" + CIM
                + "CIM_ComputerSystem</ResourceURI><SelectorSet xmlns=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
                + "<Selector Name=\"Name\">ManagedSystem</Selector></SelectorSet></ReferenceParameters>"
                + "</h:ManagedElement>"));
    }

    MachineState state() throws Exception {
        return demo.hypervisor().machine(DESKTOP_01).orElseThrow().state();
    }

    void critical(int appId, int eventId) throws Exception {
        assertEquals(0, call("AMT_AuditPolicyRule", "SetAuditPolicy", "<h:Enable>true</h:Enable><h:AuditedAppID>"
                + appId + "</h:AuditedAppID><h:EventID>" + eventId + "</h:EventID><h:PolicyType>1</h:PolicyType>"));
    }

    /** The admin's power records (AuditAppID 17), as AuditAppID << 16 | EventID, oldest first. */
    List<Integer> adminPowerRecords() throws Exception {
        return readAll(admin).stream().filter(r -> initiator(r).equals("admin")).map(AuditFloodEndToEndTest::event)
                .filter(e -> e >>> 16 == 17).toList();
    }

    @Test
    void aFullLogWithoutRollOverRefusesTheCriticalOperationAndRunsTheOthers() throws Exception {
        critical(17, POWER_UP);
        assertEquals(0, call("AMT_AuditLog", "SetStoragePolicy", "<h:StoragePolicy>0</h:StoragePolicy>"));
        // critical records fill the log to the last record (the last 15% are kept for them)
        for (int i = 0; i < AuditLogProvider.MAX_RECORDS; i++) {
            audit.record(new AuditEvent(DESKTOP_01, 17, POWER_UP, "earlier", "127.0.0.9", new byte[0], Instant.now()));
        }
        assertEquals(AuditLogProvider.MAX_RECORDS, readAll(admin).size());
        assertEquals(MachineState.RUNNING, state());

        assertEquals(0, returnValue(power(8)), "power down is not critical: it runs although it is not recorded");
        assertEquals(MachineState.SHUT_OFF, state());
        assertEquals(2075, returnValue(power(2)), "power up is critical and cannot be recorded: PT_STATUS_AUDIT_FAIL");
        assertEquals(MachineState.SHUT_OFF, state(), "the refused power up did not run");
        assertEquals(List.of(), adminPowerRecords());

        // the auditor lets the log roll over again: the critical operation runs and is recorded
        assertEquals(0, call("AMT_AuditLog", "SetStoragePolicy", "<h:StoragePolicy>1</h:StoragePolicy>"));
        assertEquals(0, returnValue(power(2)));
        assertEquals(MachineState.RUNNING, state());
        assertEquals(List.of(17 << 16 | POWER_UP), adminPowerRecords());
    }

    @Test
    void whileAnAuditorHoldsTheLockTheCriticalOperationIsRefusedUntilUnlocked() throws Exception {
        critical(17, POWER_DOWN);
        critical(16, 16);
        HttpResponse<String> locked = admin.post(invoke("AMT_AuditLog", "SetAuditLock",
                "<h:LockTimeoutInSeconds>120</h:LockTimeoutInSeconds><h:Flag>0</h:Flag>"));
        assertEquals(0, returnValue(locked));
        Matcher h = Pattern.compile("Handle>(\\d+)<").matcher(locked.body());
        assertTrue(h.find(), locked.body());

        assertEquals(2075, returnValue(power(8)), "power down is critical and the log is locked");
        assertEquals(MachineState.RUNNING, state(), "the refused power down did not run");
        // an operation without a return value (a Put, audited as the generic 16/16) gets AMT's AccessDenied fault
        HttpResponse<String> put = admin.post(invokeUri(CIM + "CIM_ComputerSystem", "Put", "")
                .replace(CIM + "CIM_ComputerSystem/Put", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"));
        assertEquals(400, put.statusCode(), put.body());
        assertTrue(put.body().contains(":AccessDenied</a:Value>")
                && put.body().contains(">The sender was not authorized to access the resource.</a:Text>"), put.body());
        assertEquals(0, returnValue(power(10)), "a reset is not critical: it runs while the log is locked");

        // the audit log's own methods are never refused (SetAuditLock is recorded as the critical 16/16)
        assertEquals(0, call("AMT_AuditLog", "SetAuditLock", "<h:LockTimeoutInSeconds>1</h:LockTimeoutInSeconds>"
                + "<h:Flag>2</h:Flag><h:Handle>" + h.group(1) + "</h:Handle>"));
        assertEquals(0, returnValue(power(8)));
        assertEquals(MachineState.SHUT_OFF, state());
        assertEquals(List.of(17 << 16 | POWER_DOWN), adminPowerRecords(), "recorded once unlocked; the reset of"
                + " the locked log is not");
        assertFalse(readAll(admin).isEmpty());
    }
}
