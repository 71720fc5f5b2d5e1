package org.vamt.cimom.internal;

import java.util.List;
import java.util.Map;
import org.osgi.service.component.ComponentServiceObjects;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;

/**
 * A provider service bound unresolved and fetched on first use. Providers may themselves need
 * the CIMOM (profile registration does); resolving them while the CIMOM activates is a cycle
 * that SCR refuses.
 */
final class LazyProvider implements CimProvider {
    private final ComponentServiceObjects<CimProvider> objects;
    private final String name;
    private CimProvider service;

    LazyProvider(ComponentServiceObjects<CimProvider> objects, String name) {
        this.objects = objects;
        this.name = name;
    }

    private synchronized CimProvider service() throws CimException {
        if (service == null) {
            service = objects.getService();
            if (service == null) {
                throw new CimException(CimStatus.UNAVAILABLE, "provider " + name + " is not available");
            }
        }
        return service;
    }

    synchronized void release() {
        if (service != null) {
            objects.ungetService(service);
            service = null;
        }
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        return service().enumerateInstances(ctx, className);
    }

    @Override
    public CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        return service().getInstance(ctx, path);
    }

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        return service().modifyInstance(ctx, current, modified);
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        return service().invokeMethod(ctx, target, method, arguments);
    }

    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        return service().createInstance(ctx, instance);
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        service().deleteInstance(ctx, instance);
    }

    @Override
    public String toString() {
        return name;
    }
}
