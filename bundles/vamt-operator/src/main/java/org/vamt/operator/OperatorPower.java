package org.vamt.operator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.Endpoints;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.security.AuditEvent;
import org.vamt.security.SecurityService;

/**
 * A power action of the local operator (Karaf shell, operator dashboard): through the same CIM
 * method consoles call (RequestPowerStateChange), so it has their semantics (graceful fallbacks,
 * event log), and written to the VM's audit log like theirs, with the operator as initiator.
 */
public final class OperatorPower {
    /** AMT's audit log: the remote control application. */
    public static final int APP_REMOTE_CONTROL = 17;
    /** PT_STATUS_AUDIT_FAIL. */
    public static final long AUDIT_FAIL = 2075;

    private OperatorPower() {
    }

    /**
     * Asks the VM's power provider for {@code action} as operator {@code who} (e.g. {@code shell:karaf},
     * {@code web:admin}) from {@code address} (empty for the local console).
     *
     * @param security  null when the security service is not there (nothing is audited then)
     * @param endpoints null without endpoints (the request then carries no Digest realm)
     * @throws IllegalStateException with the reason, in the operator's words, when the VM refuses
     * @throws CimException          when the CIMOM cannot serve the request (no power provider, ...)
     */
    public static void request(CimObjectManager cimom, SecurityService security, Endpoints endpoints, MachineInfo m,
                               PowerAction action, String who, String address) throws CimException {
        String realm = endpoints == null ? "" : endpoints.endpoint(m.uuid()).map(Endpoints.Endpoint::realm).orElse("");
        RequestContext ctx = RequestContext.operator(m.uuid(), m.name(), who, realm);
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", "CIM_ComputerSystem");
        keys.put("Name", "ManagedSystem");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("PowerState", Integer.toString(action.powerState()));
        args.put("ManagedElement", new CimObjectPath("CIM_ComputerSystem", keys));
        // as on AMT, whatever the front end: a critical operation that cannot be audited is not executed
        if (security != null && !security.auditAllows(m.uuid(), APP_REMOTE_CONTROL, action.auditEvent())) {
            throw new IllegalStateException("VM " + m.name() + " refused '" + action.word() + "': its audit policy"
                    + " marks this event critical and the audit log cannot record it now (locked by an auditor, or"
                    + " full under its storage policy): AMT return code " + AUDIT_FAIL + " (PT_STATUS_AUDIT_FAIL)");
        }
        MethodResult r = cimom.invokeMethod(ctx, CimObjectPath.of("CIM_PowerManagementService"),
                "RequestPowerStateChange", args);
        if (r.returnValue() != 0) {
            throw new IllegalStateException("VM " + m.name() + " refused '" + action.word() + "': AMT return code "
                    + r.returnValue() + (r.returnValue() == 2 ? " (not possible in its current state)" : ""));
        }
        if (security != null) {
            security.audit(new AuditEvent(m.uuid(), APP_REMOTE_CONTROL, action.auditEvent(), who, address,
                    new byte[0], Instant.now()));
        }
    }
}
