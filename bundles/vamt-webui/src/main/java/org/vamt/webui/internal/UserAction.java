package org.vamt.webui.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.accounts.UserAccounts;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.endpoints.EndpointPathHandler.Call;
import org.vamt.endpoints.EndpointPathHandler.Reply;
import org.vamt.security.AmtRealm;
import org.vamt.security.AuditRecords;
import org.vamt.security.digest.DigestMath;

/**
 * The user accounts page's actions, as a WS-Management console does them: a new VM user
 * (AMT_AuthorizationService.AddUserAclEntryEx with the password's Digest hash for this VM's realm)
 * and the removal of one (RemoveUserAclEntry), under the CIMOM's realm rule and the provider's
 * rules of which realms a user may grant, audited with AMT's Security Admin events.
 */
enum UserAction {
    ADD("add", "AddUserAclEntryEx", AuditRecords.EVENT_ACL_ENTRY_ADDED),
    REMOVE("remove", "RemoveUserAclEntry", AuditRecords.EVENT_ACL_ENTRY_REMOVED);

    private static final Logger LOG = LoggerFactory.getLogger(UserAction.class);
    static final String SERVICE = "AMT_AuthorizationService";
    /** The realms the add form offers: what a console's user of a VM is usually given. */
    static final List<Integer> OFFERED_REALMS = List.of(AmtRealm.REDIRECTION, AmtRealm.HARDWARE_ASSET,
            AmtRealm.REMOTE_CONTROL, AmtRealm.EVENT_MANAGER, AmtRealm.GENERAL_INFO, AmtRealm.NETWORK_TIME,
            AmtRealm.EVENT_LOG_READER, AmtRealm.AUDIT_LOG, AmtRealm.PT_ADMINISTRATION, AmtRealm.ACL);

    final String name;
    final String method;
    final int auditEvent;

    UserAction(String name, String method, int auditEvent) {
        this.name = name;
        this.method = method;
        this.auditEvent = auditEvent;
    }

    static Optional<UserAction> byName(String name) {
        for (UserAction a : values()) {
            if (a.name.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * A POST of the users page. Refused, in this order: a body that is not a form (415), an unknown
     * action (400), a user whose realms do not allow the method (403), a form without a valid token
     * or from another origin (403), bad fields (400), an event the audit log cannot record under a
     * critical policy (409), AMT's refusal (409 with its return code). Success redirects to the page.
     */
    static Reply run(Reads r, Call call, CsrfGuard csrf, WebUi ui) throws CimException {
        RequestContext ctx = r.context();
        String type = call.header("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return ui.error(r, Page.USERS, 415, "The page expects a form (application/x-www-form-urlencoded).");
        }
        Map<String, List<String>> form;
        try {
            form = WebUi.formValues(new String(call.body(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return ui.error(r, Page.USERS, 400, "The form could not be read.");
        }
        UserAction action = byName(first(form, "action")).orElse(null);
        if (action == null) {
            return ui.error(r, Page.USERS, 400, "Unknown action; use the buttons of the page.");
        }
        if (!r.mayInvoke(SERVICE, action.method)) {
            LOG.info("VM {}: web user {} by {} from {} refused: no ACL realm", ctx.machineName(), action.name,
                    ctx.user(), call.remoteAddress());
            return ui.error(r, Page.USERS, 403, "Your account may not change this VM's users.");
        }
        if (!CsrfGuard.sameOrigin(call.header("Origin"), call.header("Referer"), call.header("Host"), call.secure())
                || !csrf.valid(first(form, "csrf"), ctx.machineId(), ctx.user())) {
            LOG.info("VM {}: web user {} by {} from {} refused: no valid form token or origin", ctx.machineName(),
                    action.name, ctx.user(), call.remoteAddress());
            return ui.error(r, Page.USERS, 403, "This form did not come from this VM's page, or the page is too old. "
                    + "Reload the page and try again.");
        }
        Map<String, Object> args;
        String who;
        if (action == ADD) {
            who = first(form, "user").strip();
            char[] password = first(form, "password").toCharArray();
            Optional<String> weak = UserAccounts.passwordProblem(password);
            if (who.isEmpty() || weak.isPresent()) {
                return ui.error(r, Page.USERS, 400, who.isEmpty() ? "Enter a user name." : "Refused: " + weak.get() + ".");
            }
            List<Long> realms = new ArrayList<>();
            for (String v : form.getOrDefault("realm", List.of())) {
                int realm = AmtRealm.parse(v);
                if (realm < 0) {
                    return ui.error(r, Page.USERS, 400, "Unknown realm.");
                }
                realms.add((long) realm);
            }
            if (realms.isEmpty()) {
                return ui.error(r, Page.USERS, 400, "Choose at least one realm.");
            }
            long access = switch (first(form, "access")) {
                case "local" -> 0L;
                case "network" -> 1L;
                default -> 2L;
            };
            args = Map.of("DigestUsername", who, "DigestPassword",
                    DigestMath.ha1(who, ctx.digestRealm(), new String(password)), "AccessPermission", access,
                    "Realms", realms);
        } else {
            long handle;
            try {
                handle = Long.parseLong(first(form, "handle"));
            } catch (NumberFormatException e) {
                return ui.error(r, Page.USERS, 400, "Unknown user.");
            }
            who = first(form, "name");
            args = Map.of("Handle", handle);
        }
        if (!call.auditAllows(AuditRecords.APP_SECURITY_ADMIN, action.auditEvent)) {
            return ui.error(r, Page.USERS, 409, "Refused: the VM's audit policy marks this change critical and its "
                    + "audit log cannot record it now (AMT status 2075, PT_STATUS_AUDIT_FAIL).");
        }
        try {
            MethodResult result = r.invoke(CimObjectPath.of(SERVICE), action.method, args).orElse(null);
            if (result == null) {
                return ui.error(r, Page.USERS, 403, "Your account may not change this VM's users now.");
            }
            long rv = result.returnValue();
            LOG.info("VM {} ({}): web user {} {} by {} from {} -> {} = {}", ctx.machineName(), ctx.machineId(),
                    action.name, who, ctx.user(), call.remoteAddress(), action.method, rv);
            if (rv != 0) {
                return ui.error(r, Page.USERS, 409, refusal(rv));
            }
            call.audit(AuditRecords.APP_SECURITY_ADMIN, action.auditEvent,
                    action == ADD ? AuditRecords.aclEntryData(who, false) : new byte[0]);
            return new Reply(303, WebUi.HTML, "", Map.of("Location", Page.USERS.path + "?done=" + action.name,
                    "Cache-Control", "no-store"));
        } catch (CimException e) {
            int status = e.status() == CimStatus.ACCESS_DENIED ? 403 : e.status() == CimStatus.UNAVAILABLE ? 503 : 500;
            return ui.error(r, Page.USERS, status, "The change failed: " + WebUi.describe(e));
        }
    }

    /** AMT_AuthorizationService's return codes, in words. */
    private static String refusal(long rv) {
        return "Refused: " + switch ((int) rv) {
            case 12 -> "the user name is not valid (1-32 characters, none of : / \" , \\ = # !)";
            case 16 -> "your account may not do this to that user";
            case 23 -> "the VM has its maximum of users";
            case 2053 -> "no such user on this VM";
            case 2054 -> "the password is not valid";
            case 2055 -> "a realm is not valid";
            case 2058 -> "a user of that name exists";
            default -> "AMT return code " + rv;
        } + ".";
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> v = form.get(name);
        return v == null || v.isEmpty() ? "" : v.get(0);
    }
}
