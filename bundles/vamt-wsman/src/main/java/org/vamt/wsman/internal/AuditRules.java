package org.vamt.wsman.internal;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Optional;
import org.vamt.security.AuditRecords;
import org.w3c.dom.Element;

/**
 * Which successful WS-Management requests AMT's audit log records, and as which AMT event
 * (AuditAppID / EventID, the numbers MeshCommander decodes). Reads are never audited.
 */
final class AuditRules {
    static final int APP_SECURITY_ADMIN = 16;
    static final int APP_REMOTE_CONTROL = 17;
    static final int APP_REDIRECTION = 18;
    static final int APP_AUDIT_LOG = 20;
    static final int APP_NETWORK_TIME = 21;
    static final int APP_NETWORK_ADMIN = 22;
    static final int APP_EVENT_MANAGER = 24;
    static final int APP_CIRCUIT_BREAKER = 25;
    static final int APP_KVM = 29;
    static final int APP_OPT_IN = 30;

    /**
     * One audit record.
     *
     * @param mayBeRefused whether the operation is refused when the VM's audit policy marks its event
     *                     critical and the record cannot be written (AMT's PT_STATUS_AUDIT_FAIL); false
     *                     for the audit log's own classes (AMT_AuditLog, AMT_AuditPolicyRule), so an
     *                     auditor can always unlock, clear or re-configure a full or locked log
     */
    record Audit(int appId, int eventId, byte[] extendedData, boolean mayBeRefused) {
        Audit(int appId, int eventId, byte[] extendedData) {
            this(appId, eventId, extendedData, true);
        }
    }

    private AuditRules() {
    }

    /** The audit record for a request that succeeded, or empty when AMT would not record it. */
    static Optional<Audit> forRequest(WsmanRequest req) {
        String cls = ResourceUris.className(req.resourceUri()).orElse("").toLowerCase(Locale.ROOT);
        Optional<Audit> audit = record(req, cls);
        if (cls.equals("amt_auditlog") || cls.equals("amt_auditpolicyrule")) {
            return audit.map(a -> new Audit(a.appId(), a.eventId(), a.extendedData(), false));
        }
        return audit;
    }

    private static Optional<Audit> record(WsmanRequest req, String cls) {
        String action = req.action();
        if (action == null || action.equals(Ns.ACTION_GET) || action.equals(Ns.ACTION_ENUMERATE)
                || action.equals(Ns.ACTION_PULL) || action.equals(Ns.ACTION_RELEASE)) {
            return Optional.empty();
        }
        if (action.equals(Ns.ACTION_PUT)) {
            return switch (cls) {
                case "amt_bootsettingdata" -> event(APP_REMOTE_CONTROL, 4);
                case "amt_generalsettings" -> event(APP_NETWORK_ADMIN, 1);
                case "amt_ethernetportsettings" -> event(APP_NETWORK_ADMIN, 0);
                case "amt_tlssettingdata" -> event(APP_SECURITY_ADMIN, 7);
                case "ips_optinservice" -> event(APP_OPT_IN, 0);
                case "ips_kvmredirectionsettingdata" -> event(APP_KVM, 2);
                case "amt_redirectionservice" -> event(APP_REDIRECTION, 6);
                default -> event(APP_SECURITY_ADMIN, 16);
            };
        }
        if (action.equals(Ns.ACTION_CREATE) || action.equals(Ns.ACTION_DELETE)) {
            boolean create = action.equals(Ns.ACTION_CREATE);
            return switch (cls) {
                case "amt_systemdefensepolicy" -> event(APP_CIRCUIT_BREAKER, create ? 2 : 3);
                case "amt_networkportsystemdefensepolicy" -> event(APP_CIRCUIT_BREAKER, 4);
                case "amt_ipheadersfilter", "amt_hdr8021filter", "amt_networkfilter" ->
                        event(APP_CIRCUIT_BREAKER, create ? 0 : 1);
                case "amt_publickeycertificate" -> event(APP_SECURITY_ADMIN, create ? 8 : 9);
                default -> event(APP_SECURITY_ADMIN, 16);
            };
        }
        if (action.equals(Ns.ACTION_SUBSCRIBE) || action.equals(Ns.ACTION_UNSUBSCRIBE)) {
            // "Alert Subscribed" / "Alert Unsubscribed"
            return event(APP_EVENT_MANAGER, action.equals(Ns.ACTION_SUBSCRIBE) ? 0 : 1);
        }
        if (action.equals(Ns.ACTION_RENEW) || action.equals(Ns.ACTION_GET_STATUS)) {
            return Optional.empty();
        }
        String method = action.substring(action.lastIndexOf('/') + 1);
        if (method.startsWith("Get") || method.startsWith("Enumerate") || method.startsWith("Read")
                || method.startsWith("PositionTo")) {
            return Optional.empty();
        }
        Element body = req.body();
        return switch (cls + "." + method.toLowerCase(Locale.ROOT)) {
            case "cim_powermanagementservice.requestpowerstatechange" -> powerEvent(arg(body, "PowerState"));
            case "cim_bootconfigsetting.changebootorder", "cim_bootservice.setbootconfigrole" ->
                    event(APP_REMOTE_CONTROL, 4);
            case "amt_authorizationservice.adduseraclentryex" -> userEvent(2, arg(body, "DigestUsername"));
            case "amt_authorizationservice.updateuseraclentryex" -> userEvent(3, arg(body, "DigestUsername"));
            case "amt_authorizationservice.removeuseraclentry" -> event(APP_SECURITY_ADMIN, 4);
            case "amt_authorizationservice.setaclenabledstate" -> event(APP_SECURITY_ADMIN, 6);
            case "amt_timesynchronizationservice.sethighaccuracytimesynch" -> timeEvent(arg(body, "Tm2"));
            case "amt_messagelog.clearlog" -> event(APP_EVENT_MANAGER, 2);
            case "amt_messagelog.freezelog" -> event(APP_EVENT_MANAGER, 3);
            case "amt_auditlog.clearlog" -> event(APP_AUDIT_LOG, 0);
            // "Security Audit Policy Modified": the events audited, the storage policy
            case "amt_auditpolicyrule.setauditpolicy", "amt_auditpolicyrule.setauditpolicybulk",
                 "amt_auditlog.setstoragepolicy" -> event(APP_AUDIT_LOG, 1);
            case "amt_redirectionservice.requeststatechange" -> event(APP_REDIRECTION,
                    "32768".equals(arg(body, "RequestedState")) ? 7 : 6);
            case "cim_kvmredirectionsap.requeststatechange" -> event(APP_REDIRECTION,
                    "3".equals(arg(body, "RequestedState")) ? 11 : 10);
            case "ips_optinservice.sendoptincode" -> event(APP_OPT_IN, 1);
            case "amt_publickeymanagementservice.addcertificate" -> event(APP_SECURITY_ADMIN, 8);
            case "amt_publickeymanagementservice.addtrustedrootcertificate" -> event(APP_SECURITY_ADMIN, 10);
            // anything else that changes state is still recorded, as a generic security-admin event
            default -> event(APP_SECURITY_ADMIN, 16);
        };
    }

    private static Optional<Audit> event(int app, int event) {
        return Optional.of(new Audit(app, event, new byte[0]));
    }

    /** Remote control events: 0 power up, 1 power down, 2 power cycle, 3 reset (AMT RCO numbering). */
    private static Optional<Audit> powerEvent(String powerState) {
        int event = switch (powerState == null ? "" : powerState.trim()) {
            case "2" -> 0;
            case "5", "9" -> 2;
            case "10", "11", "14" -> 3;
            default -> 1;
        };
        return event(APP_REMOTE_CONTROL, event);
    }

    /** ACL entry added (2) or modified (3), with the user's name as extended data. */
    private static Optional<Audit> userEvent(int event, String user) {
        return Optional.of(new Audit(APP_SECURITY_ADMIN, event, AuditRecords.aclEntryData(user, event == 3)));
    }

    /** Time set: extended data = the new time in seconds, as MeshCommander decodes it. */
    private static Optional<Audit> timeEvent(String tm2) {
        long t;
        try {
            t = Long.parseLong(tm2 == null ? "0" : tm2.trim());
        } catch (NumberFormatException e) {
            t = 0;
        }
        return Optional.of(new Audit(APP_NETWORK_TIME, 0, ByteBuffer.allocate(4).putInt((int) t).array()));
    }

    private static String arg(Element body, String name) {
        if (body == null) {
            return null;
        }
        for (Element e : RequestParser.children(body)) {
            if (name.equalsIgnoreCase(e.getLocalName())) {
                return RequestParser.text(e);
            }
        }
        return null;
    }
}
