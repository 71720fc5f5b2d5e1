package org.vamt.webui.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The pages, at the paths a real AMT serves them. A page is offered (in the menu, and at all) when
 * its CIM classes are served now and, for those read through a method, the user may call it; the
 * CIMOM's realm rules decide, not this list.
 */
enum Page {
    STATUS("/index.htm", "System Status"),
    HARDWARE("/hw-sys.htm", "Hardware Information"),
    EVENTS("/events.htm", "Event Log"),
    AUDIT("/audit.htm", "Audit Log"),
    REMOTE("/remote.htm", "Remote Control"),
    NETWORK("/net.htm", "Network Settings"),
    USERS("/users.htm", "User Accounts");

    /** The inventory classes the hardware page shows, each a section of its own. */
    static final List<String> HARDWARE_CLASSES = List.of("CIM_ComputerSystemPackage", "CIM_Chassis", "CIM_Card",
            "CIM_BIOSElement", "CIM_Processor", "CIM_Chip", "CIM_PhysicalMemory", "CIM_MediaAccessDevice");

    final String path;
    final String title;

    Page(String path, String title) {
        this.path = path;
        this.title = title;
    }

    static Optional<Page> byPath(String path) {
        return Arrays.stream(values()).filter(p -> p.path.equals(path)).findFirst();
    }

    /** Every path the web UI serves: the pages, the root and the stylesheet. */
    static String[] paths() {
        String[] out = new String[values().length + 2];
        out[0] = "/";
        out[1] = WebUi.CSS_PATH;
        for (Page p : values()) {
            out[p.ordinal() + 2] = p.path;
        }
        return out;
    }

    boolean offered(Reads r) {
        return switch (this) {
            case STATUS -> true;
            case HARDWARE -> HARDWARE_CLASSES.stream().anyMatch(r::served);
            case EVENTS -> r.mayInvoke("AMT_MessageLog", "GetRecords");
            case AUDIT -> r.mayInvoke("AMT_AuditLog", "ReadRecords");
            case REMOTE -> r.served("CIM_PowerManagementService");
            case NETWORK -> r.served("AMT_EthernetPortSettings") || r.served("AMT_GeneralSettings");
            case USERS -> r.mayInvoke("AMT_AuthorizationService", "EnumerateUserAclEntries");
        };
    }
}
