package org.vamt.cim.spi;

import java.io.Serializable;
import java.util.Objects;

/**
 * Who asks, and about which managed system. Every endpoint belongs to exactly one VM, as an AMT
 * belongs to one PC, so every CIM request carries the VM it is about.
 *
 * @param machineId   UUID of the VM the request is about
 * @param machineName the VM's current name (for logs and host names)
 * @param user        authenticated user name
 * @param digestRealm the HTTP Digest realm of this VM's endpoint, which AMT_GeneralSettings must report
 * @param operator    true for the local operator (the Karaf shell, already logged in to Karaf), whom
 *                    the CIMOM does not hold to AMT realms; front ends never set it
 */
public record RequestContext(String machineId, String machineName, String user, String digestRealm, boolean operator)
        implements Serializable {
    public RequestContext {
        Objects.requireNonNull(machineId, "machineId");
        Objects.requireNonNull(machineName, "machineName");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(digestRealm, "digestRealm");
    }

    /** A remote user's request, held to the AMT realms that user holds on the VM. */
    public RequestContext(String machineId, String machineName, String user, String digestRealm) {
        this(machineId, machineName, user, digestRealm, false);
    }

    /** The local operator's request (Karaf shell): {@code who} names the shell user for logs and audit. */
    public static RequestContext operator(String machineId, String machineName, String who, String digestRealm) {
        return new RequestContext(machineId, machineName, who, digestRealm, true);
    }
}
