package org.vamt.legacysoap.internal;

import java.util.Optional;

/** The legacy SOAP services vAMT serves: their path and namespace (compat §6). */
enum LegacyService {
    REMOTE_CONTROL("/RemoteControlService", "RemoteControl"),
    SECURITY_ADMINISTRATION("/SecurityAdministrationService", "SecurityAdministration"),
    NETWORK_ADMINISTRATION("/NetworkAdministrationService", "NetworkAdministration");

    static final String NAMESPACE_BASE = "http://schemas.intel.com/platform/client/";

    final String path;
    final String namespace;

    LegacyService(String path, String name) {
        this.path = path;
        this.namespace = NAMESPACE_BASE + name + "/2004/01";
    }

    static Optional<LegacyService> byPath(String path) {
        for (LegacyService s : values()) {
            if (s.path.equals(path)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
