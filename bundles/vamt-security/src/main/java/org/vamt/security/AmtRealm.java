package org.vamt.security;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * AMT's access realms, by the numbers consoles send in AMT_AuthorizationService (MeshCentral's
 * realm table). A user holds a set of them; every WS-Management operation needs one.
 */
public final class AmtRealm {
    public static final int REDIRECTION = 2;
    public static final int PT_ADMINISTRATION = 3;
    public static final int HARDWARE_ASSET = 4;
    public static final int REMOTE_CONTROL = 5;
    public static final int STORAGE = 6;
    public static final int EVENT_MANAGER = 7;
    public static final int STORAGE_ADMIN = 8;
    public static final int AGENT_PRESENCE_LOCAL = 9;
    public static final int AGENT_PRESENCE_REMOTE = 10;
    public static final int CIRCUIT_BREAKER = 11;
    public static final int NETWORK_TIME = 12;
    public static final int GENERAL_INFO = 13;
    public static final int FIRMWARE_UPDATE = 14;
    public static final int EIT = 15;
    public static final int LOCAL_UN = 16;
    public static final int ENDPOINT_ACCESS_CONTROL = 17;
    public static final int ENDPOINT_ACCESS_CONTROL_ADMIN = 18;
    public static final int EVENT_LOG_READER = 19;
    public static final int AUDIT_LOG = 20;
    public static final int ACL = 21;
    public static final int LOCAL_SYSTEM = 24;

    private static final Map<Integer, String> NAMES = new TreeMap<>(Map.ofEntries(
            Map.entry(REDIRECTION, "redirection"), Map.entry(PT_ADMINISTRATION, "pt-administration"),
            Map.entry(HARDWARE_ASSET, "hardware-asset"), Map.entry(REMOTE_CONTROL, "remote-control"),
            Map.entry(STORAGE, "storage"), Map.entry(EVENT_MANAGER, "event-manager"),
            Map.entry(STORAGE_ADMIN, "storage-admin"), Map.entry(AGENT_PRESENCE_LOCAL, "agent-presence-local"),
            Map.entry(AGENT_PRESENCE_REMOTE, "agent-presence-remote"), Map.entry(CIRCUIT_BREAKER, "circuit-breaker"),
            Map.entry(NETWORK_TIME, "network-time"), Map.entry(GENERAL_INFO, "general-info"),
            Map.entry(FIRMWARE_UPDATE, "firmware-update"), Map.entry(EIT, "eit"), Map.entry(LOCAL_UN, "local-un"),
            Map.entry(ENDPOINT_ACCESS_CONTROL, "endpoint-access-control"),
            Map.entry(ENDPOINT_ACCESS_CONTROL_ADMIN, "endpoint-access-control-admin"),
            Map.entry(EVENT_LOG_READER, "event-log-reader"), Map.entry(AUDIT_LOG, "audit-log"),
            Map.entry(ACL, "acl"), Map.entry(LOCAL_SYSTEM, "local-system")));

    private AmtRealm() {
    }

    /** Every realm number AMT defines. */
    public static Set<Integer> all() {
        return NAMES.keySet();
    }

    public static boolean isValid(int realm) {
        return NAMES.containsKey(realm);
    }

    /** A short lower-case name, e.g. "remote-control", for the shell and the docs. */
    public static String name(int realm) {
        return NAMES.getOrDefault(realm, "realm-" + realm);
    }

    /** The realm named {@code nameOrNumber} ("remote-control" or "5"); -1 when there is none. */
    public static int parse(String nameOrNumber) {
        String s = nameOrNumber.trim();
        for (Map.Entry<Integer, String> e : NAMES.entrySet()) {
            if (e.getValue().equalsIgnoreCase(s)) {
                return e.getKey();
            }
        }
        try {
            int n = Integer.parseInt(s);
            return isValid(n) ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
