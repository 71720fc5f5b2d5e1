package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;

/** The distribution's demo machines (features/src/main/cfg/vamt-demo-vms.xml), loaded by libvirt 9's test driver. */
class DemoVmsTest {
    static final Path DEMO = Paths.get("../../features/src/main/cfg/vamt-demo-vms.xml");
    static final long GIB = 1024 * 1024;

    private LibvirtHypervisor hv;
    private TestSupport.Recorder events;

    @BeforeEach
    void activate() throws Exception {
        assertTrue(Files.isRegularFile(DEMO), DEMO.toAbsolutePath() + " missing");
        hv = new LibvirtHypervisor();
        events = new TestSupport.Recorder();
        hv.addMachineListener(events);
        hv.activate(TestSupport.config(TestSupport.testUri(DEMO)));
    }

    @AfterEach
    void deactivate() {
        hv.deactivate();
    }

    @Test
    void fourDemoMachinesWithTheirStates() throws Exception {
        List<MachineInfo> vms = hv.listMachines();
        assertEquals(List.of("build-server", "desktop-01", "desktop-02", "kiosk"),
                vms.stream().map(MachineInfo::name).collect(Collectors.toList()));
        assertEquals(new MachineInfo("6f8c1a52-4b1e-4d6a-9a01-000000000003", "build-server", MachineState.SHUT_OFF, 4, 8, 8 * GIB), vms.get(0));
        assertEquals(new MachineInfo("6f8c1a52-4b1e-4d6a-9a01-000000000001", "desktop-01", MachineState.RUNNING, 2, 4, 4 * GIB), vms.get(1));
        assertEquals(new MachineInfo("6f8c1a52-4b1e-4d6a-9a01-000000000002", "desktop-02", MachineState.RUNNING, 1, 2, 2 * GIB), vms.get(2));
        assertEquals(new MachineInfo("6f8c1a52-4b1e-4d6a-9a01-000000000004", "kiosk", MachineState.RUNNING, 1, 1, 1 * GIB), vms.get(3));
    }

    @Test
    void devicesBootOrderAndSmbiosSurviveTheTestDriver() throws Exception {
        String d1 = hv.definitionXml("6f8c1a52-4b1e-4d6a-9a01-000000000001");
        assertEquals(2, count(d1, "<disk "), d1);
        assertTrue(d1.contains("device='cdrom'"), d1);
        assertEquals(1, count(d1, "<interface "), d1);
        assertTrue(d1.contains("52:54:00:a0:00:01"), d1);
        assertTrue(d1.matches("(?s).*<boot dev='hd'/>\\s*<boot dev='cdrom'/>\\s*<boot dev='network'/>.*"), d1);
        assertTrue(d1.contains("<entry name='serial'>VAMT-DEMO-0001</entry>"), d1);

        String d2 = hv.definitionXml("6f8c1a52-4b1e-4d6a-9a01-000000000002");
        assertEquals(1, count(d2, "<disk "), d2);
        assertEquals(1, count(d2, "<interface "), d2);

        String build = hv.definitionXml("6f8c1a52-4b1e-4d6a-9a01-000000000003");
        assertEquals(2, count(build, "device='disk'"), build);
        assertEquals(2, count(build, "<interface "), build);
        assertTrue(build.matches("(?s).*<boot dev='network'/>\\s*<boot dev='hd'/>.*"), build);

        String kiosk = hv.definitionXml("6f8c1a52-4b1e-4d6a-9a01-000000000004");
        assertEquals(0, count(kiosk, "<disk "), kiosk);
        assertEquals(1, count(kiosk, "<interface "), kiosk);

        // every MAC is fixed, distinct and in QEMU's 52:54:00 range
        String all = d1 + d2 + build + kiosk;
        Matcher m = Pattern.compile("<mac address='([^']+)'/>").matcher(all);
        java.util.Set<String> macs = new java.util.HashSet<>();
        while (m.find()) {
            assertTrue(m.group(1).startsWith("52:54:00:"), m.group(1));
            assertTrue(macs.add(m.group(1)), "duplicate MAC " + m.group(1));
        }
        assertEquals(5, macs.size());
    }

    @Test
    void buildServerCanBePoweredOn() throws Exception {
        String uuid = "6f8c1a52-4b1e-4d6a-9a01-000000000003";
        hv.powerOn(uuid);
        events.await(uuid, MachineEvent.Type.STARTED);
        MachineInfo info = hv.machine(uuid).orElseThrow();
        assertEquals(MachineState.RUNNING, info.state());
        assertEquals(4, info.onlineVcpus());
        hv.setOnlineVcpus(uuid, 8);
        assertEquals(8, hv.machine(uuid).orElseThrow().onlineVcpus());
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
