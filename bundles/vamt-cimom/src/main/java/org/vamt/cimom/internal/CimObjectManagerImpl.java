package org.vamt.cimom.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.InvalidKeyException;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CIMOM: providers are picked up from the service registry as they appear (whiteboard) and
 * every operation is dispatched by class name. Defaults that CIMPLE gave its providers live
 * here: Get by searching the enumeration, singletons addressed without keys, selector checking.
 */
@Component(service = CimObjectManager.class, immediate = true)
public class CimObjectManagerImpl implements CimObjectManager {
    private static final Logger LOG = LoggerFactory.getLogger(CimObjectManagerImpl.class);

    private final ProviderRegistry registry = new ProviderRegistry();

    @Reference(service = CimProvider.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addProvider(CimProvider provider, Map<String, Object> properties) {
        registry.add(provider, properties);
    }

    void removeProvider(CimProvider provider) {
        registry.remove(provider);
    }

    @Override
    public Set<String> servedClasses() {
        return registry.classes();
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        return guarded(ctx, "enumerate " + className, () -> provider(className).enumerateInstances(ctx, className));
    }

    @Override
    public CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        return guarded(ctx, "get " + path, () -> resolve(ctx, provider(path.className()), path));
    }

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimObjectPath path, CimInstance modified)
            throws CimException {
        return guarded(ctx, "modify " + path, () -> {
            CimProvider p = provider(path.className());
            CimInstance current = resolve(ctx, p, path);
            return p.modifyInstance(ctx, current, modified);
        });
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath path, String method,
                                     Map<String, Object> arguments) throws CimException {
        return guarded(ctx, "invoke " + method + " on " + path, () -> {
            CimProvider p = provider(path.className());
            CimInstance target = resolve(ctx, p, path);
            return p.invokeMethod(ctx, target.path(), method, arguments);
        });
    }

    private CimProvider provider(String className) throws CimException {
        return registry.providerFor(className)
                .orElseThrow(() -> new CimException(CimStatus.INVALID_CLASS, "no provider serves " + className));
    }

    /**
     * Finds the instance a path names. No keys: the first instance (singletons). Otherwise the
     * provider's own getInstance, or, when it has none, a search of its enumeration.
     */
    private CimInstance resolve(RequestContext ctx, CimProvider p, CimObjectPath path) throws CimException {
        if (path.keys().isEmpty()) {
            List<CimInstance> all = p.enumerateInstances(ctx, path.className());
            if (all.isEmpty()) {
                throw new CimException(CimStatus.NOT_FOUND, "no instance of " + path.className());
            }
            return all.get(0);
        }
        try {
            return p.getInstance(ctx, path);
        } catch (CimException e) {
            if (e.status() != CimStatus.NOT_SUPPORTED) {
                throw e;
            }
        }
        return InstanceMatcher.find(p.enumerateInstances(ctx, path.className()), path);
    }

    /** Turns a provider's unexpected RuntimeException into a CIM failure, logged with its context. */
    private <T> T guarded(RequestContext ctx, String operation, CimCall<T> call) throws CimException {
        try {
            return call.run();
        } catch (CimException e) {
            LOG.debug("VM {} ({}): {} failed: {}", ctx.machineName(), ctx.machineId(), operation, e.toString());
            throw e;
        } catch (RuntimeException e) {
            LOG.error("VM {} ({}): {} failed in the provider", ctx.machineName(), ctx.machineId(), operation, e);
            throw new CimException(CimStatus.FAILED, "provider failure: " + e.getClass().getSimpleName(), e);
        }
    }

    @FunctionalInterface
    private interface CimCall<T> {
        T run() throws CimException;
    }

    /** Key matching between a client's path and the instances of a class. */
    static final class InstanceMatcher {
        private InstanceMatcher() {
        }

        static CimInstance find(List<CimInstance> instances, CimObjectPath path) throws CimException {
            boolean sawKeys = false;
            for (CimInstance i : instances) {
                checkSelectorsAreKeys(i, path);
                sawKeys = true;
                if (matches(i, path)) {
                    return i;
                }
            }
            throw new CimException(CimStatus.NOT_FOUND, (sawKeys ? "no instance matches " : "no instance of ") + path);
        }

        private static void checkSelectorsAreKeys(CimInstance i, CimObjectPath path) throws CimException {
            for (String name : path.keys().keySet()) {
                if (i.keyNames().stream().noneMatch(k -> k.equalsIgnoreCase(name))) {
                    throw new InvalidKeyException("'" + name + "' is not a key of " + i.className());
                }
            }
        }

        /** Every given key must match; keys the client left out are not constrained. */
        private static boolean matches(CimInstance i, CimObjectPath path) {
            for (Map.Entry<String, Object> e : path.keys().entrySet()) {
                if (!CimValues.sameValue(i.get(e.getKey()), e.getValue())) {
                    return false;
                }
            }
            return true;
        }
    }
}
