package org.vamt.operator;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.remote.RemoteNodes;

/** On a gateway (scale-out), which vAMT node each VM lives on. */
public final class Nodes {
    private Nodes() {
    }

    /**
     * VM UUID (lower case) to node id, from the gateway's view of its nodes; empty on an all-in-one
     * or a node, where vamt-remote's package is not wired (optional import) and no such service runs.
     */
    public static Map<String, String> byMachine(BundleContext context) {
        ServiceReference<?> ref = context.getServiceReference(Providers.REMOTE_NODES);
        if (ref == null) {
            return Map.of();
        }
        Object service = context.getService(ref);
        try {
            return service == null ? Map.of() : read(service);
        } catch (LinkageError | ClassCastException notWired) {
            return Map.of();   // vamt-remote installed after this bundle resolved: wired at the next refresh
        } finally {
            context.ungetService(ref);
        }
    }

    private static Map<String, String> read(Object service) {
        Map<String, String> out = new HashMap<>();
        for (RemoteNodes.Node n : ((RemoteNodes) service).nodes()) {
            for (MachineInfo m : n.machines()) {
                out.put(m.uuid().toLowerCase(Locale.ROOT), n.id());
            }
        }
        return out;
    }
}
