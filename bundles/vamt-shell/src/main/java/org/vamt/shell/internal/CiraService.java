package org.vamt.shell.internal;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.vamt.cira.Cira;

/** The CIRA service, looked up when a command runs: without vamt-cira the commands are not wired (optional import). */
final class CiraService {
    private CiraService() {
    }

    static Cira get(BundleContext context) {
        ServiceReference<?> ref = context.getServiceReference("org.vamt.cira.Cira");
        Object service = ref == null ? null : context.getService(ref);
        if (service == null) {
            throw new IllegalStateException("CIRA is not installed (feature vamt-cira)");
        }
        return (Cira) service;
    }
}
