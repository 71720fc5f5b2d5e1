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
 */
public record RequestContext(String machineId, String machineName, String user, String digestRealm)
        implements Serializable {
    public RequestContext {
        Objects.requireNonNull(machineId, "machineId");
        Objects.requireNonNull(machineName, "machineName");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(digestRealm, "digestRealm");
    }
}
