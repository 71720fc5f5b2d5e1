package org.vamt.operator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.vamt.cim.spi.CimProvider;

/** The CIM providers registered in this container: which bundle serves which classes, local or remote. */
public final class Providers {
    /** The service the gateway role registers (vamt-remote), looked up by name: the all-in-one has no such bundle. */
    static final String REMOTE_NODES = "org.vamt.remote.RemoteNodes";

    private Providers() {
    }

    /**
     * One provider service.
     *
     * @param where "local", or "remote " and the remote endpoint id for one imported from a node
     */
    public record Provider(String bundle, String version, String where, List<String> classes) {
    }

    /** Every provider service, by bundle symbolic name. */
    public static List<Provider> list(BundleContext context) {
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(CimProvider.class.getName(), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);   // no filter given
        }
        List<Provider> out = new ArrayList<>();
        if (refs == null) {
            return out;
        }
        for (ServiceReference<?> r : refs) {
            if (r.getBundle() == null) {
                continue;   // unregistered meanwhile
            }
            Object classes = r.getProperty(CimProvider.CLASSES);
            List<String> list = classes instanceof String[] a ? Arrays.asList(a) : List.of(String.valueOf(classes));
            boolean remote = r.getProperty("service.imported") != null;
            out.add(new Provider(r.getBundle().getSymbolicName(), r.getBundle().getVersion().toString(),
                    remote ? "remote " + r.getProperty("endpoint.id") : "local", list));
        }
        out.sort(Comparator.comparing(Provider::bundle));
        return out;
    }

    /** Whether this container is a gateway: its VMs are those of the vAMT nodes in discovery. */
    public static boolean isGateway(BundleContext context) {
        return context.getServiceReference(REMOTE_NODES) != null;
    }
}
