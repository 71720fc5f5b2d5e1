package org.vamt.webui.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler.Call;
import org.vamt.endpoints.EndpointPathHandler.Reply;

/**
 * The remote control page's actions: CIM_PowerManagementService.RequestPowerStateChange, after an
 * optional one-time boot device (CIM_BootConfigSetting.ChangeBootOrder), as WS-Management consoles
 * and amttool's legacy path do it, audited with the same AMT events (remote control, 17).
 */
enum PowerAction {
    ON(org.vamt.operator.PowerAction.ON, "Power on"),
    OFF(org.vamt.operator.PowerAction.OFF, "Power off"),
    RESET(org.vamt.operator.PowerAction.RESET, "Reset"),
    CYCLE(org.vamt.operator.PowerAction.CYCLE, "Power cycle");

    private static final Logger LOG = LoggerFactory.getLogger(PowerAction.class);
    static final String POWER_SERVICE = "CIM_PowerManagementService";
    static final String POWER_METHOD = "RequestPowerStateChange";
    static final String BOOT_SETTING = "CIM_BootConfigSetting";
    static final String BOOT_METHOD = "ChangeBootOrder";

    final String name;
    final String label;
    /** The CIM PowerState requested. */
    final long powerState;
    /** AMT's audit event of the remote control application. */
    final int auditEvent;

    /** The page's button for {@code action}: its state and audit event are the one table vamt-operator keeps. */
    PowerAction(org.vamt.operator.PowerAction action, String label) {
        this.name = action.word();
        this.label = label;
        this.powerState = action.powerState();
        this.auditEvent = action.auditEvent();
    }

    static Optional<PowerAction> byName(String name) {
        return Arrays.stream(values()).filter(a -> a.name.equals(name)).findFirst();
    }

    /** The action a console's CIM PowerState names, if the page offers it. */
    static Optional<PowerAction> byPowerState(long state) {
        return Arrays.stream(values()).filter(a -> a.powerState == state).findFirst();
    }

    /** One-time boot devices, AMT's CIM_BootSourceSetting instances. */
    enum BootDevice {
        PXE("pxe", "Network (PXE)", "Intel(r) AMT: Force PXE Boot"),
        HARD_DRIVE("hdd", "Hard drive", "Intel(r) AMT: Force Hard-drive Boot"),
        CD_DVD("cd", "CD/DVD", "Intel(r) AMT: Force CD/DVD Boot");

        final String name;
        final String label;
        final String instanceId;

        BootDevice(String name, String label, String instanceId) {
            this.name = name;
            this.label = label;
            this.instanceId = instanceId;
        }

        static Optional<BootDevice> byName(String name) {
            return Arrays.stream(values()).filter(b -> b.name.equals(name)).findFirst();
        }
    }

    /**
     * A POST of the remote control form. Refused, in this order: a body that is not a form (415), an
     * unknown action (400), a user without the realm the CIMOM requires for the power method (403),
     * a form without a valid token or from another origin (403), an event the audit log cannot record
     * under a critical policy (409). Success redirects to the page (Post/Redirect/Get).
     */
    static Reply run(Reads r, Call call, CsrfGuard csrf, WebUi ui) throws CimException {
        RequestContext ctx = r.context();
        String type = call.header("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return ui.error(r, Page.REMOTE, 415, "The page expects a form (application/x-www-form-urlencoded).");
        }
        Map<String, String> form;
        try {
            form = WebUi.form(new String(call.body(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return ui.error(r, Page.REMOTE, 400, "The form could not be read.");
        }
        PowerAction action = byName(form.get("action")).orElse(null);
        if (action == null) {
            return ui.error(r, Page.REMOTE, 400, "Unknown action; use the buttons of the page.");
        }
        if (!r.mayInvoke(POWER_SERVICE, POWER_METHOD)) {
            LOG.info("VM {}: web power action {} by {} from {} refused: no remote control realm", ctx.machineName(),
                    action.name, ctx.user(), call.remoteAddress());
            return ui.error(r, Page.REMOTE, 403, "Your account may not control this VM's power "
                    + "(it does not hold the Remote Control realm), or power control is not served here.");
        }
        if (!CsrfGuard.sameOrigin(call.header("Origin"), call.header("Referer"), call.header("Host"), call.secure())
                || !csrf.valid(form.get("csrf"), ctx.machineId(), ctx.user())) {
            LOG.info("VM {}: web power action {} by {} from {} refused: no valid form token or origin",
                    ctx.machineName(), action.name, ctx.user(), call.remoteAddress());
            return ui.error(r, Page.REMOTE, 403, "This form did not come from this VM's page, or the page is too old. "
                    + "Reload the page and try again.");
        }
        String bootName = form.getOrDefault("boot", "");
        BootDevice boot = bootName.isEmpty() ? null : BootDevice.byName(bootName).orElse(null);
        if (!bootName.isEmpty() && boot == null) {
            return ui.error(r, Page.REMOTE, 400, "Unknown boot device.");
        }
        if (boot != null && action == OFF) {
            return ui.error(r, Page.REMOTE, 400, "A boot device goes with power on, reset or power cycle.");
        }
        if (boot != null && !r.mayInvoke(BOOT_SETTING, BOOT_METHOD)) {
            return ui.error(r, Page.REMOTE, 403, "Your account may not set the boot device of this VM.");
        }
        // as on AMT, whatever the front end: a critical operation that cannot be audited is not executed
        if (!call.auditAllows(WebUi.AUDIT_REMOTE_CONTROL, action.auditEvent)
                || (boot != null && !call.auditAllows(WebUi.AUDIT_REMOTE_CONTROL, WebUi.AUDIT_BOOT_OPTIONS))) {
            return ui.error(r, Page.REMOTE, 409, "Refused: the VM's audit policy marks this action critical and its "
                    + "audit log cannot record it now (AMT status 2075, PT_STATUS_AUDIT_FAIL).");
        }
        try {
            if (boot != null) {
                long rv = changeBootOrder(r, List.of(CimObjectPath.of("CIM_BootSourceSetting", "InstanceID",
                        boot.instanceId)));
                if (rv != 0) {
                    return ui.error(r, Page.REMOTE, 409, "The boot device was refused (AMT return code " + rv + ").");
                }
                call.audit(WebUi.AUDIT_REMOTE_CONTROL, WebUi.AUDIT_BOOT_OPTIONS, new byte[0]);
            }
            MethodResult result = r.invoke(CimObjectPath.of(POWER_SERVICE), POWER_METHOD,
                    Map.of("PowerState", action.powerState)).orElse(null);
            if (result == null) {
                return ui.error(r, Page.REMOTE, 403, "Power control is not available to your account now.");
            }
            long rv = result.returnValue();
            LOG.info("VM {} ({}): web {}{} by {} from {} -> RequestPowerStateChange({}) = {}", ctx.machineName(),
                    ctx.machineId(), action.name, boot == null ? "" : " with boot device " + boot.name, ctx.user(),
                    call.remoteAddress(), action.powerState, rv);
            if (rv == 0) {
                call.audit(WebUi.AUDIT_REMOTE_CONTROL, action.auditEvent, new byte[0]);
                return new Reply(303, WebUi.HTML, "", Map.of("Location", Page.REMOTE.path + "?done=" + action.name,
                        "Cache-Control", "no-store"));
            }
            if (boot != null) {
                changeBootOrder(r, List.of());   // the power action did not happen: drop its boot device too
            }
            return ui.error(r, Page.REMOTE, 409, rv == 2 ? action.label + " is not possible in the VM's current state."
                    : action.label + " was refused (AMT return code " + rv + ").");
        } catch (CimException e) {
            int status = e.status() == CimStatus.ACCESS_DENIED ? 403 : e.status() == CimStatus.UNAVAILABLE ? 503 : 500;
            return ui.error(r, Page.REMOTE, status, action.label + " failed: " + WebUi.describe(e));
        }
    }

    private static long changeBootOrder(Reads r, List<CimObjectPath> sources) throws CimException {
        return r.invoke(CimObjectPath.of(BOOT_SETTING), BOOT_METHOD, Map.of("Source", sources))
                .map(MethodResult::returnValue).orElse(-1L);
    }
}
