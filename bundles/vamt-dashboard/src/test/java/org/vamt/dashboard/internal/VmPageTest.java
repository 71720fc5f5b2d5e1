package org.vamt.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;

class VmPageTest {
    /** 10,000 VMs as a big host has them: vm-00000 … vm-09999, every third one running, in no order. */
    private static List<MachineInfo> host() {
        List<MachineInfo> vms = new ArrayList<>();
        for (int i = 9_999; i >= 0; i--) {
            vms.add(new MachineInfo(String.format("%08x-0000-4000-8000-000000000000", i), String.format("vm-%05d", i),
                    i % 3 == 0 ? MachineState.RUNNING : MachineState.SHUT_OFF, 1, 1, 1024));
        }
        return vms;
    }

    private static List<String> names(VmPage p) {
        return p.shown().stream().map(MachineInfo::name).toList();
    }

    @Test
    void aPageOfAHugeHostHoldsItsShareByName() {
        VmPage p = VmPage.of(host(), null, "3", 100);
        assertEquals(100, p.shown().size());
        assertEquals("vm-00200", names(p).get(0));
        assertEquals(200, p.offset());
        assertEquals(10_000, p.matching());
        assertEquals(3_334, p.running());
        assertEquals(100, p.pages());
        assertEquals(3, p.page());
    }

    @Test
    void theSearchMatchesNamesAndUuidPrefixesIgnoringCase() {
        VmPage p = VmPage.of(host(), "  VM-0999 ", "1", 100);
        assertEquals(10, p.matching());
        assertEquals("vm-09990", names(p).get(0));
        assertEquals("VM-0999", p.query(), "as typed, trimmed");
        VmPage byUuid = VmPage.of(host(), "0000270f", null, 100);
        assertEquals(List.of("vm-09999"), names(byUuid));
    }

    @Test
    void pageNumbersOutOfRangeOrNotNumbersShowTheNearestPage() {
        assertEquals(100, VmPage.of(host(), "", "999999", 100).page());
        assertEquals(1, VmPage.of(host(), "", "-4", 100).page());
        assertEquals(1, VmPage.of(host(), "", "two", 100).page());
        VmPage none = VmPage.of(host(), "no such vm", "2", 100);
        assertEquals(0, none.matching());
        assertEquals(1, none.pages());
        assertEquals(List.of(), none.shown());
        assertEquals(VmPage.MAX_QUERY, VmPage.of(host(), "x".repeat(5000), null, 100).query().length());
    }

    @Test
    void aPowerFormCarriesBackOnlyAViewOfTheTablesOwnMaking() {
        assertEquals("?q=desk+01&page=2", DashboardServlet.view("desk 01", 2));
        assertEquals("", DashboardServlet.view("", 1));
        assertEquals("?q=desk+01&page=2", DashboardServlet.returnView(DashboardServlet.view("desk 01", 2)));
        assertEquals("?q=%3Cscript%3E", DashboardServlet.returnView(DashboardServlet.view("<script>", 1)));
        for (String forged : new String[] {"//evil.example/", "?q=a\r\nSet-Cookie: x=1", "?next=http://x", "#x"}) {
            assertEquals("", DashboardServlet.returnView(forged), forged);
        }
    }
}
