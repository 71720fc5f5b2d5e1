package org.vamt.cim.spi;

import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * The CIM provider bundles ({@code vamt-provider-*}) that are to run but do not: the test behind WS-Management's
 * start gate and the health endpoint. A bundle is to run when it is persistently started; Karaf's framework is
 * ACTIVE at start level 1 and raises the level later, so neither its state nor its start level tells that.
 */
public final class ProviderBundles {
    /** The symbolic names of the CIM provider bundles begin so. */
    public static final String PREFIX = "vamt-provider-";

    private ProviderBundles() {
    }

    /** Symbolic names of the persistently started provider bundles that are not ACTIVE (not yet, or failed). */
    public static List<String> notActive(BundleContext context) {
        List<String> waiting = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            String name = b.getSymbolicName();
            if (name != null && name.startsWith(PREFIX) && b.getState() != Bundle.ACTIVE
                    && b.adapt(BundleStartLevel.class).isPersistentlyStarted()) {
                waiting.add(name);
            }
        }
        return waiting;
    }
}
