package org.vamt.webui.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditRecords;

/**
 * The sections of the pages. Each reads its classes through {@link Reads}: a section with nothing
 * to read (class not served, not the user's) is left out; a failure is shown as text in its place.
 */
final class Sections {
    private static final Logger LOG = LoggerFactory.getLogger(Sections.class);
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Sections() {
    }

    /** Writes a section's content; false when there is nothing to show (the section is left out). */
    interface Body {
        boolean write(Html h) throws CimException;
    }

    static void section(Html page, String id, String title, Body body) {
        Html inner = new Html();
        try {
            if (!body.write(inner)) {
                return;
            }
        } catch (CimException e) {
            inner = new Html().raw("<p class=\"error\" role=\"alert\">").text("Could not be read: " + WebUi.describe(e))
                    .raw("</p>");
        } catch (RuntimeException e) {
            LOG.warn("web page section {} failed", id, e);
            inner = new Html().raw("<p class=\"error\" role=\"alert\">Could not be read: internal error.</p>");
        }
        page.raw("<section id=\"").text(id).raw("\" aria-labelledby=\"").text(id + "-h").raw("\"><h2 id=\"")
                .text(id + "-h").raw("\">").text(title).raw("</h2>").raw(inner.toString()).raw("</section>");
    }

    // ------------------------------------------------------------------ status

    static void status(Html page, Reads r, Clock clock) {
        section(page, "system", "System", h -> {
            h.raw("<dl>");
            Optional<CimInstance> system = managedSystem(r);
            h.entry("Computer", system.map(s -> s.get("ElementName")).orElse(r.context().machineName()));
            String power = powerText(r);
            h.entry("Power", power);
            Optional<CimInstance> settings = r.first("AMT_GeneralSettings");
            settings.ifPresent(s -> h.entry("Host name", fqdn(s)));
            r.get(CimObjectPath.of("CIM_SoftwareIdentity", "InstanceID", "AMT"))
                    .ifPresent(amt -> h.entry("Intel(R) AMT version", amt.get("VersionString")));
            if (power != null && power.startsWith("On")) {
                runningSince(r).ifPresent(t -> h.entry("Running since", TIME.format(t) + " ("
                        + duration(Duration.between(t, clock.instant())) + ")"));
            }
            h.raw("</dl>");
            return true;
        });
    }

    /** When the VM last came to S0, from its event log (the only clock of its uptime the CIMOM has). */
    private static Optional<Instant> runningSince(Reads r) throws CimException {
        return Logs.events(r).flatMap(events -> events.stream()
                .filter(e -> e.sensorType() == 0x22).findFirst()
                .filter(Logs.Event::isPowerOn).map(Logs.Event::time));
    }

    static String duration(Duration d) {
        long minutes = Math.max(0, d.toMinutes());
        if (minutes < 60) {
            return minutes + " min";
        }
        long hours = minutes / 60;
        return hours < 48 ? hours + " h " + (minutes % 60) + " min" : (hours / 24) + " days " + (hours % 24) + " h";
    }

    private static String fqdn(CimInstance settings) {
        String host = text(settings.get("HostName"));
        String domain = text(settings.get("DomainName"));
        return domain.isEmpty() ? host : host + "." + domain;
    }

    private static Optional<CimInstance> managedSystem(Reads r) throws CimException {
        return r.all("CIM_ComputerSystem").flatMap(l -> l.stream()
                .filter(s -> "ManagedSystem".equals(s.get("Name"))).findFirst());
    }

    /**
     * The VM's power state: CIM_AssociatedPowerManagementService's PowerState where the user may read it
     * (remote control realm), else CIM_ComputerSystem's EnabledState, which anyone may read.
     */
    static String powerText(Reads r) throws CimException {
        Optional<Long> state = powerState(r);
        if (state.isPresent()) {
            return powerStateName(state.get());
        }
        Optional<CimInstance> system = managedSystem(r);
        if (system.isEmpty() || system.get().get("EnabledState") == null) {
            return null;
        }
        long enabled = CimValues.toLong(system.get().get("EnabledState"));
        return enabled == 2 ? "On" : enabled == 3 ? "Off" : "Unknown (EnabledState " + enabled + ")";
    }

    static Optional<Long> powerState(Reads r) throws CimException {
        Optional<List<CimInstance>> assoc = r.all("CIM_AssociatedPowerManagementService");
        if (assoc.isEmpty() || assoc.get().isEmpty() || assoc.get().get(0).get("PowerState") == null) {
            return Optional.empty();
        }
        return Optional.of(CimValues.toLong(assoc.get().get(0).get("PowerState")));
    }

    /** CIM PowerState values (CIM_AssociatedPowerManagementService). */
    static String powerStateName(long state) {
        return switch ((int) state) {
            case 2 -> "On (S0)";
            case 3 -> "Sleep, light (S1)";
            case 4 -> "Sleep, deep (S3)";
            case 5 -> "Power cycle (off soft)";
            case 6 -> "Off, hard (G3)";
            case 7 -> "Hibernate (S4)";
            case 8 -> "Off, soft (S5)";
            case 9 -> "Power cycle (off hard)";
            case 10 -> "Reset";
            case 12 -> "Off, soft graceful";
            case 13 -> "Off, hard graceful";
            default -> "State " + state;
        };
    }

    // ------------------------------------------------------------------ hardware

    static void hardware(Html page, Reads r) {
        instances(page, r, "platform", "Platform", "CIM_ComputerSystemPackage", List.of(
                new Column("Platform GUID", "PlatformGUID")));
        instances(page, r, "chassis", "Chassis", "CIM_Chassis", List.of(new Column("Manufacturer", "Manufacturer"),
                new Column("Model", "Model"), new Column("Serial number", "SerialNumber"),
                new Column("Version", "Version")));
        instances(page, r, "board", "Baseboard", "CIM_Card", List.of(new Column("Manufacturer", "Manufacturer"),
                new Column("Model", "Model"), new Column("Serial number", "SerialNumber"),
                new Column("Version", "Version")));
        instances(page, r, "bios", "BIOS", "CIM_BIOSElement", List.of(new Column("Vendor", "Manufacturer"),
                new Column("Version", "Version"), new Column("Release date", "ReleaseDate")));
        instances(page, r, "processors", "Processors", "CIM_Processor", List.of(new Column("Device", "DeviceID"),
                new Column("Clock (MHz)", "CurrentClockSpeed"), new Column("Maximum (MHz)", "MaxClockSpeed"),
                new Column("State", "EnabledState")));
        instances(page, r, "chips", "Processor packages", "CIM_Chip", List.of(
                new Column("Manufacturer", "Manufacturer"), new Column("Version", "Version")));
        instances(page, r, "memory", "Memory", "CIM_PhysicalMemory", List.of(new Column("Bank", "BankLabel"),
                new Column("Capacity", "Capacity"), new Column("Speed (MT/s)", "ConfiguredMemoryClockSpeed"),
                new Column("Serial number", "SerialNumber")));
        instances(page, r, "disks", "Storage", "CIM_MediaAccessDevice", List.of(new Column("Device", "DeviceID"),
                new Column("Size", "MaxMediaSize"), new Column("Kind", "Capabilities")));
    }

    record Column(String header, String property) {
    }

    /** A table of one class's instances; left out when the class is absent for this user. */
    private static void instances(Html page, Reads r, String id, String title, String className,
                                  List<Column> columns) {
        section(page, id, title, h -> {
            Optional<List<CimInstance>> all = r.all(className);
            if (all.isEmpty()) {
                return false;
            }
            if (all.get().isEmpty()) {
                h.raw("<p>None.</p>");
                return true;
            }
            List<List<Object>> rows = new ArrayList<>();
            for (CimInstance i : all.get()) {
                List<Object> row = new ArrayList<>();
                for (Column c : columns) {
                    row.add(value(c.property(), i.get(c.property())));
                }
                rows.add(row);
            }
            h.table(null, columns.stream().map(Column::header).toList(), rows);
            return true;
        });
    }

    /** A property value as people read it. */
    static String value(String property, Object v) {
        if (v == null) {
            return "";
        }
        try {
            return switch (property) {
                case "Capacity" -> bytes(CimValues.toLong(v));
                case "MaxMediaSize" -> bytes(CimValues.toLong(v) * 1000);
                case "EnabledState" -> switch ((int) CimValues.toLong(v)) {
                    case 2 -> "Enabled";
                    case 3 -> "Disabled";
                    default -> "State " + v;
                };
                case "Capabilities" -> list(v).contains("7") ? "Removable (optical)" : "Disk";
                default -> v instanceof List<?> l ? l.stream().map(CimValues::text).collect(Collectors.joining(", "))
                        : CimValues.text(v);
            };
        } catch (CimException e) {
            return CimValues.text(v);
        }
    }

    private static List<String> list(Object v) {
        return v instanceof List<?> l ? l.stream().map(CimValues::text).toList() : List.of(CimValues.text(v));
    }

    /** A size in binary units when it is a whole number of KiB (memory), else in decimal ones (disks). */
    static String bytes(long n) {
        if (n <= 0) {
            return "unknown";
        }
        boolean binary = n % 1024 == 0;
        int base = binary ? 1024 : 1000;
        String[] units = binary ? new String[] {"bytes", "KiB", "MiB", "GiB", "TiB"}
                : new String[] {"bytes", "kB", "MB", "GB", "TB"};
        double v = n;
        int u = 0;
        while (v >= base && u < units.length - 1) {
            v /= base;
            u++;
        }
        return trim(v) + " " + units[u];
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v);
    }

    // ------------------------------------------------------------------ logs

    static void events(Html page, Reads r) {
        section(page, "events", "Events", h -> {
            Optional<List<Logs.Event>> events = Logs.events(r);
            if (events.isEmpty()) {
                return false;
            }
            if (events.get().isEmpty()) {
                h.raw("<p>The event log is empty.</p>");
                return true;
            }
            List<List<Object>> rows = new ArrayList<>();
            for (Logs.Event e : events.get()) {
                rows.add(List.of(TIME.format(e.time()), e.description(), e.entityName(), e.severityName()));
            }
            h.table("Newest first, " + rows.size() + " records", List.of("Time", "Event", "Source", "Severity"), rows);
            return true;
        });
    }

    static void audit(Html page, Reads r) {
        section(page, "audit", "Audit records", h -> {
            Optional<List<AuditEvent>> records = Logs.audit(r);
            if (records.isEmpty()) {
                return false;
            }
            if (records.get().isEmpty()) {
                h.raw("<p>The audit log is empty.</p>");
                return true;
            }
            List<List<Object>> rows = new ArrayList<>();
            for (AuditEvent e : records.get()) {
                rows.add(List.of(TIME.format(e.time()), AuditRecords.eventName(e.appId(), e.eventId()),
                        e.initiator() == null ? "local" : e.initiator(), e.address()));
            }
            h.table("Newest first, " + rows.size() + " records", List.of("Time", "Event", "By", "From"), rows);
            return true;
        });
    }

    // ------------------------------------------------------------------ remote control

    static void remote(Html page, Reads r, String csrfToken, String notice) {
        if (notice != null) {
            page.raw("<p class=\"notice\" role=\"status\">").text(notice).raw("</p>");
        }
        section(page, "power", "Power", h -> {
            h.raw("<dl>").entry("Power state", powerText(r)).raw("</dl>");
            if (!r.mayInvoke(PowerAction.POWER_SERVICE, PowerAction.POWER_METHOD)) {
                h.raw("<p>Your account does not hold the Remote Control realm on this VM: "
                        + "it may see the power state but not change it.</p>");
                return true;
            }
            List<PowerAction> offered = offeredActions(r);
            h.raw("<form method=\"post\" action=\"").text(Page.REMOTE.path).raw("\" class=\"actions\">"
                    + "<input type=\"hidden\" name=\"csrf\" value=\"").text(csrfToken).raw("\">");
            if (r.mayInvoke(PowerAction.BOOT_SETTING, PowerAction.BOOT_METHOD) && r.served("CIM_BootSourceSetting")) {
                h.raw("<p><label for=\"boot\">Boot device, once (with power on, reset or power cycle)</label>"
                        + "<select id=\"boot\" name=\"boot\"><option value=\"\">As configured</option>");
                for (PowerAction.BootDevice b : PowerAction.BootDevice.values()) {
                    h.raw("<option value=\"").text(b.name).raw("\">").text(b.label).raw("</option>");
                }
                h.raw("</select></p>");
            }
            h.raw("<p class=\"buttons\">");
            for (PowerAction a : offered) {
                h.raw("<button type=\"submit\" name=\"action\" value=\"").text(a.name).raw("\">").text(a.label)
                        .raw("</button>");
            }
            h.raw("</p></form>");
            if (offered.isEmpty()) {
                h.raw("<p>No power action is possible in the VM's current state.</p>");
            }
            return true;
        });
    }

    /** The page's actions the VM can take now (AvailableRequestedPowerStates), in a fixed order. */
    private static List<PowerAction> offeredActions(Reads r) throws CimException {
        Optional<List<CimInstance>> assoc = r.all("CIM_AssociatedPowerManagementService");
        if (assoc.isEmpty() || assoc.get().isEmpty()) {
            return List.of(PowerAction.values());
        }
        List<String> available = list(assoc.get().get(0).get("AvailableRequestedPowerStates"));
        List<PowerAction> out = new ArrayList<>();
        for (PowerAction a : PowerAction.values()) {
            if (available.contains(String.valueOf(a.powerState))) {
                out.add(a);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ network

    static void network(Html page, Reads r) {
        section(page, "names", "Names", h -> {
            Optional<CimInstance> s = r.first("AMT_GeneralSettings");
            if (s.isEmpty()) {
                return false;
            }
            h.raw("<dl>").entry("Host name", text(s.get().get("HostName")))
                    .entry("Domain name", text(s.get().get("DomainName"))).raw("</dl>");
            return true;
        });
        section(page, "wired", "Wired network", h -> {
            Optional<List<CimInstance>> ports = r.all("AMT_EthernetPortSettings");
            if (ports.isEmpty()) {
                return false;
            }
            for (CimInstance p : ports.get()) {
                h.raw("<dl>").entry("Port", p.get("ElementName")).entry("MAC address", p.get("MACAddress"))
                        .entry("Link", Boolean.TRUE.equals(p.get("LinkIsUp")) ? "Up" : "Down")
                        .entry("DHCP", Boolean.TRUE.equals(p.get("DHCPEnabled")) ? "Enabled" : "Disabled")
                        .entry("IP address", p.get("IPAddress")).entry("Subnet mask", p.get("SubnetMask"))
                        .entry("Gateway", p.get("DefaultGateway")).entry("Primary DNS", p.get("PrimaryDNS"))
                        .entry("Secondary DNS", p.get("SecondaryDNS")).raw("</dl>");
                if (p.get("IPAddress") == null) {
                    h.raw("<p>No address is known while the VM is off or has no lease yet.</p>");
                }
            }
            return true;
        });
    }

    // ------------------------------------------------------------------ users

    static void users(Html page, Reads r, String csrfToken, String notice) {
        if (notice != null) {
            page.raw("<p class=\"notice\" role=\"status\">").text(notice).raw("</p>");
        }
        section(page, "users", "Users of this VM", h -> {
            CimObjectPath service = CimObjectPath.of(UserAction.SERVICE);
            boolean mayRemove = r.mayInvoke(UserAction.SERVICE, UserAction.REMOVE.method);
            List<String> headers = new ArrayList<>(List.of("User", "Realms", "Access from"));
            if (mayRemove) {
                headers.add("Remove");
            }
            List<String> rows = new ArrayList<>();
            r.invoke(service, "GetAdminAclEntry", Map.of()).map(a -> a.outputs().get("Username"))
                    .ifPresent(admin -> rows.add(row(List.of(text(admin), "Administrator (every realm)", "Any"),
                            mayRemove ? "" : null)));
            long start = 1;
            while (rows.size() < 1000) {
                Optional<MethodResult> page1 = r.invoke(service, "EnumerateUserAclEntries", Map.of("StartIndex", start));
                if (page1.isEmpty()) {
                    return false;
                }
                List<String> handles = list(page1.get().outputs().get("Handles"));
                if (page1.get().returnValue() != 0 || page1.get().outputs().get("Handles") == null) {
                    break;
                }
                for (String handle : handles) {
                    Optional<MethodResult> entry = r.invoke(service, "GetUserAclEntryEx",
                            Map.of("Handle", Long.parseLong(handle)));
                    if (entry.isPresent() && entry.get().returnValue() == 0) {
                        Map<String, Object> o = entry.get().outputs();
                        String name = text(o.get("DigestUsername"));
                        rows.add(row(List.of(name, realms(o.get("Realms")), access(o.get("AccessPermission"))),
                                mayRemove ? removeButton(csrfToken, handle, name) : null));
                    }
                }
                start += handles.size();
                long total = CimValues.toLong(page1.get().outputs().getOrDefault("TotalCount", 0L));
                if (handles.isEmpty() || start > total) {
                    break;
                }
            }
            h.raw("<div class=\"scroll\"><table id=\"user-list\"><thead><tr>");
            headers.forEach(x -> h.raw("<th scope=\"col\">").text(x).raw("</th>"));
            h.raw("</tr></thead><tbody>");
            rows.forEach(h::raw);
            h.raw("</tbody></table></div>");
            if (r.mayInvoke(UserAction.SERVICE, UserAction.ADD.method)) {
                addForm(h, csrfToken);
            } else if (!mayRemove) {
                h.raw("<p>Your account may read this VM's users but not change them (that needs the ACL realm).</p>");
            }
            return true;
        });
    }

    /** A table row: escaped cells, then the remove cell's markup (this bundle's own) when there is one. */
    private static String row(List<String> cells, String removeCell) {
        Html h = new Html().raw("<tr>");
        cells.forEach(c -> h.element("td", c));
        if (removeCell != null) {
            h.raw("<td>").raw(removeCell).raw("</td>");
        }
        return h.raw("</tr>").toString();
    }

    private static String removeButton(String csrfToken, String handle, String name) {
        return new Html().raw("<form method=\"post\" action=\"").text(Page.USERS.path).raw("\">"
                        + "<input type=\"hidden\" name=\"csrf\" value=\"").text(csrfToken)
                .raw("\"><input type=\"hidden\" name=\"action\" value=\"remove\"><input type=\"hidden\" name=\"handle\" value=\"")
                .text(handle).raw("\"><input type=\"hidden\" name=\"name\" value=\"").text(name)
                .raw("\"><button type=\"submit\" aria-label=\"Remove ").text(name).raw("\">Remove</button></form>")
                .toString();
    }

    private static void addForm(Html h, String csrfToken) {
        h.raw("<h3>Add a user</h3><form method=\"post\" action=\"").text(Page.USERS.path)
                .raw("\" class=\"add-user\"><input type=\"hidden\" name=\"csrf\" value=\"").text(csrfToken)
                .raw("\"><input type=\"hidden\" name=\"action\" value=\"add\">"
                        + "<p><label for=\"new-user\">User name</label> <input id=\"new-user\" name=\"user\" "
                        + "maxlength=\"32\" autocomplete=\"off\" required></p>"
                        + "<p><label for=\"new-password\">Password</label> <input id=\"new-password\" name=\"password\" "
                        + "type=\"password\" minlength=\"8\" maxlength=\"32\" autocomplete=\"new-password\" required> "
                        + "<small>8-32 characters with an upper-case letter, a lower-case letter, a digit and a special "
                        + "character</small></p><fieldset><legend>Realms</legend>");
        for (int realm : UserAction.OFFERED_REALMS) {
            String id = "realm-" + realm;
            h.raw("<label for=\"").text(id).raw("\"><input type=\"checkbox\" id=\"").text(id)
                    .raw("\" name=\"realm\" value=\"").text(AmtRealm.name(realm)).raw("\"> ").text(AmtRealm.name(realm))
                    .raw("</label> ");
        }
        h.raw("</fieldset><p><label for=\"access\">Access from</label> <select id=\"access\" name=\"access\">"
                + "<option value=\"any\">Any</option><option value=\"network\">Network</option>"
                + "<option value=\"local\">Local</option></select></p>"
                + "<p><button type=\"submit\">Add user</button></p></form>");
    }

    private static String realms(Object v) {
        return list(v).stream().map(s -> {
            try {
                return AmtRealm.name(Integer.parseInt(s));
            } catch (RuntimeException e) {
                return s;
            }
        }).collect(Collectors.joining(", "));
    }

    private static String access(Object v) {
        return switch (text(v)) {
            case "0" -> "Local";
            case "1" -> "Network";
            case "2" -> "Any";
            default -> text(v);
        };
    }

    static String text(Object v) {
        return v == null ? "" : CimValues.text(v);
    }
}
