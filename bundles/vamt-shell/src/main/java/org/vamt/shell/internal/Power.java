package org.vamt.shell.internal;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.vamt.security.AuditEvent;
import org.vamt.security.SecurityService;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.endpoints.Endpoints;

/**
 * Power actions through the same CIM method consoles call (RequestPowerStateChange), so the
 * shell gets the same semantics (graceful fallbacks, event log) and its actions are audited.
 */
@Command(scope = "vamt", name = "power", description = "Powers a VM on, off, resets, power-cycles or shuts it down (ACPI)")
@Service
public class Power extends VamtCommand {
    private static final Map<String, Integer> STATES = new LinkedHashMap<>();
    /** AMT's audit log: the remote control application (events 0 up, 1 down, 2 cycle, 3 reset). */
    static final int APP_REMOTE_CONTROL = 17;
    /** PT_STATUS_AUDIT_FAIL. */
    static final long AUDIT_FAIL = 2075;

    static {
        STATES.put("on", 2);
        STATES.put("cycle", 5);
        STATES.put("off", 8);
        STATES.put("reset", 10);
        STATES.put("shutdown", 12);
    }

    @Reference
    Hypervisor hypervisor;

    @Reference
    CimObjectManager cimom;

    @Reference(optional = true)
    Endpoints endpoints;

    @Reference(optional = true)
    SecurityService security;

    @Reference
    Session session;

    @Argument(index = 0, name = "vm", description = "VM name or UUID", required = true)
    @Completion(VmCompleter.class)
    String vm;

    @Argument(index = 1, name = "action", description = "on, off, reset, cycle or shutdown", required = true)
    @Completion(value = StringsCompleter.class, values = {"on", "off", "reset", "cycle", "shutdown"})
    String action;

    @Override
    protected Object run() throws Exception {
        Integer state = STATES.get(action);
        if (state == null) {
            throw new IllegalArgumentException("unknown action '" + action + "'; use one of " + STATES.keySet());
        }
        MachineInfo m = Vms.find(hypervisor, vm);
        String user = "shell:" + session.get("USER");
        String realm = endpoints == null ? "" : endpoints.endpoints().stream()
                .filter(e -> e.uuid().equalsIgnoreCase(m.uuid())).map(Endpoints.Endpoint::realm)
                .findFirst().orElse("");
        RequestContext ctx = RequestContext.operator(m.uuid(), m.name(), user, realm);
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", "CIM_ComputerSystem");
        keys.put("Name", "ManagedSystem");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("PowerState", Integer.toString(state));
        args.put("ManagedElement", new CimObjectPath("CIM_ComputerSystem", keys));
        int event = switch (state) {
            case 2 -> 0;
            case 5 -> 2;
            case 10 -> 3;
            default -> 1;
        };
        // as on AMT, whatever the front end: a critical operation that cannot be audited is not executed
        if (security != null && !security.auditAllows(m.uuid(), APP_REMOTE_CONTROL, event)) {
            throw new IllegalStateException("VM " + m.name() + " refused '" + action + "': its audit policy marks"
                    + " this event critical and the audit log cannot record it now (locked by an auditor, or full"
                    + " under its storage policy): AMT return code " + AUDIT_FAIL + " (PT_STATUS_AUDIT_FAIL)");
        }
        MethodResult r = cimom.invokeMethod(ctx, CimObjectPath.of("CIM_PowerManagementService"),
                "RequestPowerStateChange", args);
        if (r.returnValue() != 0) {
            throw new IllegalStateException("VM " + m.name() + " refused '" + action + "': AMT return code "
                    + r.returnValue() + (r.returnValue() == 2 ? " (not possible in its current state)" : ""));
        }
        if (security != null) {
            security.audit(new AuditEvent(m.uuid(), APP_REMOTE_CONTROL, event, user, "", new byte[0], Instant.now()));
        }
        System.out.println("VM " + m.name() + ": " + action + " requested");
        return null;
    }
}
