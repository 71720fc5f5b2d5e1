package org.vamt.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.logs.internal.AuditLogProvider;
import org.vamt.provider.power.internal.PowerProvider;
import org.vamt.security.AuditEvent;
import org.vamt.security.SecurityService;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;

/**
 * The operator's power request and audit reading with the real parts: CIMOM, power provider, audit
 * log provider, security service and users, on libvirt's test driver.
 */
class OperatorPowerTest {
    @TempDir
    Path dir;
    private DemoHypervisor demo;
    private CimObjectManager cimom;
    private SecurityService security;
    private AuditLogProvider audit;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        String data = System.getProperty("karaf.data");
        System.setProperty("karaf.data", dir.toString());
        try {
            audit = new AuditLogProvider(demo.hypervisor());
        } finally {
            if (data == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", data);
            }
        }
        PowerProvider power = new PowerProvider(demo.hypervisor(), TestConfigs.of(PowerProvider.Config.class, Map.of()));
        cimom = new TestCimom().serve(audit, "AMT_AuditLog").serve(power, "CIM_ComputerSystem",
                "CIM_PowerManagementService").manager();
        UserStore users = UserStore.open(dir.resolve("users.properties"), "Admin-Passw0rd#1", p -> { });
        security = TestSecurity.create(users, 5, 60_000, 600_000, audit);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private MachineInfo vm(String uuid) throws Exception {
        return demo.hypervisor().listMachines().stream().filter(m -> m.uuid().equals(uuid)).findFirst().orElseThrow();
    }

    @Test
    void powerOffGoesThroughTheCimomAndIsAuditedWithTheOperatorAndAddress() throws Exception {
        OperatorPower.request(cimom, security, null, vm(DESKTOP_01), PowerAction.OFF, "web:ops", "127.0.0.1");
        assertEquals(MachineState.SHUT_OFF, vm(DESKTOP_01).state());
        List<AuditLogs.Entry> log = AuditLogs.all(cimom, RequestContext.operator(DESKTOP_01, "desktop-01", "t", ""));
        AuditLogs.Entry last = log.get(log.size() - 1);
        assertEquals(List.of("power down", "web:ops", "127.0.0.1"), List.of(last.what(), last.initiator(), last.address()));
        assertEquals(OperatorPower.APP_REMOTE_CONTROL, last.appId());
        assertEquals("  power down  by web:ops from 127.0.0.1", last.describe().substring(last.describe().indexOf(' ')));
    }

    @Test
    void anUnknownActionNamesTheActionsThereAre() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PowerAction.of("explode"));
        assertEquals("unknown action 'explode'; use one of [on, cycle, off, reset, shutdown]", e.getMessage());
        assertEquals(PowerAction.RESET, PowerAction.of("RESET"));
    }

    @Test
    void newestReadsTheTailOfALogLongerThanOneReadRecordsCall() throws Exception {
        for (int i = 0; i < 25; i++) {
            audit.record(new AuditEvent(KIOSK, 17, 3, "user" + i, "192.0.2.1", new byte[0],
                    Instant.ofEpochSecond(1_800_000_000L + i)));
        }
        RequestContext ctx = RequestContext.operator(KIOSK, "kiosk", "t", "");
        List<AuditLogs.Entry> all = AuditLogs.all(cimom, ctx);
        assertEquals(25, all.size());
        List<AuditLogs.Entry> newest = AuditLogs.newest(cimom, ctx, 12);
        assertEquals(all.subList(13, 25), newest);
        assertEquals("user24", newest.get(11).initiator());
        assertEquals(all.subList(22, 25), AuditLogs.newest(cimom, ctx, 3));
        assertEquals(all, AuditLogs.newest(cimom, ctx, 100));
    }
}
