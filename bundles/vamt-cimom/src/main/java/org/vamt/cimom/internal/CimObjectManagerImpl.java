package org.vamt.cimom.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.CimValues;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimDataType;
import org.vamt.cim.schema.CimMethodDef;
import org.vamt.cim.schema.CimPropertyDef;
import org.vamt.cim.schema.CimSchema;
import org.vamt.security.AmtRealm;
import org.vamt.security.RealmCheck;
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
    private final RealmRules realms = new RealmRules();
    /** Who holds which realm (the security service); set before the component is active. */
    private volatile RealmCheck access = (user, machine, realm) -> false;
    private final SchemaRegistry schemas = new SchemaRegistry();
    private MofBundleTracker mofTracker;

    /** Realm decisions come from the security service, the one that front ends also use. */
    @Reference(service = RealmCheck.class)
    void bindAccess(RealmCheck check) {
        this.access = check;
    }

    /** Reads MOF from bundles as they start (the schema bundle, provider bundles with their own classes). */
    @Activate
    void activate(BundleContext context) {
        mofTracker = new MofBundleTracker(context, schemas);
        mofTracker.open();
    }

    @Deactivate
    void deactivate() {
        if (mofTracker != null) {
            mofTracker.close();
        }
    }

    private final Map<ComponentServiceObjects<CimProvider>, LazyProvider> bound = new java.util.concurrent.ConcurrentHashMap<>();

    /** Provider services are bound unresolved (see {@link LazyProvider}) and fetched on first use. */
    @Reference(service = CimProvider.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "unbindProvider")
    void bindProvider(ComponentServiceObjects<CimProvider> objects, Map<String, Object> properties) {
        LazyProvider p = new LazyProvider(objects, String.valueOf(properties.getOrDefault("component.name",
                objects.getServiceReference())));
        bound.put(objects, p);
        registry.add(p, properties);
        realms.add(p, properties);
    }

    void unbindProvider(ComponentServiceObjects<CimProvider> objects) {
        LazyProvider p = bound.remove(objects);
        if (p != null) {
            registry.remove(p);
            realms.remove(p);
            p.release();
        }
    }

    RealmRules realmRules() {
        return realms;
    }

    /** Direct registration, for tests and in-process use outside OSGi. */
    void addProvider(CimProvider provider, Map<String, Object> properties) {
        registry.add(provider, properties);
        realms.add(provider, properties);
    }

    void removeProvider(CimProvider provider) {
        registry.remove(provider);
        realms.remove(provider);
    }

    /**
     * The user of {@code ctx} must hold {@code realm} on the VM (AMT answers AccessDenied); the
     * local operator is not held to realms.
     */
    private void require(RequestContext ctx, int realm, String operation, String className) throws CimException {
        if (ctx.operator() || realm == RealmRules.ANYONE || access.permits(ctx.user(), ctx.machineId(), realm)) {
            return;
        }
        LOG.info("VM {}: user {} lacks realm {} for {} {}", ctx.machineName(), ctx.user(), AmtRealm.name(realm),
                operation, className);
        throw new CimException(CimStatus.ACCESS_DENIED, "The user does not hold the " + AmtRealm.name(realm)
                + " realm this operation needs.");
    }

    /** Whether the user of {@code ctx} may read instances of {@code className}. */
    private boolean mayRead(RequestContext ctx, CimSchema schema, String className) {
        int realm = realms.read(schema, className);
        return ctx.operator() || realm == RealmRules.ANYONE || access.permits(ctx.user(), ctx.machineId(), realm);
    }

    @Override
    public boolean mayInvoke(RequestContext ctx, String className, String method) {
        int realm = realms.write(schemas.current(), className, method);
        return ctx.operator() || realm == RealmRules.ANYONE || access.permits(ctx.user(), ctx.machineId(), realm);
    }

    /** Classes that a provider serves and the schema defines. */
    @Override
    public Set<String> servedClasses() {
        CimSchema schema = schemas.current();
        Set<String> served = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String c : registry.classes()) {
            schema.classDef(c).ifPresent(d -> served.addAll(schema.withSubclasses(d.name())));
        }
        served.removeIf(c -> providersOrNull(schema, c) == null);
        return served;
    }

    private Map<CimProvider, String> providersOrNull(CimSchema schema, String c) {
        try {
            return providersFor(schema, c);
        } catch (CimException e) {
            return null;
        }
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        require(ctx, realms.read(schemas.current(), className), "enumerate", className);
        return enumerate(ctx, className);
    }

    private List<CimInstance> enumerate(RequestContext ctx, String className) throws CimException {
        return guarded(ctx, "enumerate " + className, () -> {
            CimSchema schema = schemas.current();
            String cls = SchemaEnforcer.requireClass(schema, className).name();
            List<CimInstance> out = new ArrayList<>();
            for (Map.Entry<CimProvider, String> call : providersFor(schema, cls).entrySet()) {
                for (CimInstance i : call.getKey().enumerateInstances(ctx, call.getValue())) {
                    // Enumeration follows inheritance, as AMT's does: subclass instances come along.
                    if (schema.isA(i.className(), cls)) {
                        out.add(SchemaEnforcer.normalize(schema, i));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        require(ctx, realms.read(schemas.current(), path.className()), "get", path.className());
        return guarded(ctx, "get " + path, () -> resolve(ctx, schemas.current(), path));
    }

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimObjectPath path, CimInstance modified)
            throws CimException {
        require(ctx, realms.write(schemas.current(), path.className(), null), "modify", path.className());
        return guarded(ctx, "modify " + path, () -> {
            CimSchema schema = schemas.current();
            CimInstance current = resolve(ctx, schema, path);
            CimInstance wanted = SchemaEnforcer.applyPut(schema, current, modified);
            return SchemaEnforcer.normalize(schema,
                    providerOf(schema, current.className()).modifyInstance(ctx, current, wanted));
        });
    }

    @Override
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath path, String method,
                                     Map<String, Object> arguments) throws CimException {
        require(ctx, realms.write(schemas.current(), path.className(), method), method, path.className());
        return guarded(ctx, "invoke " + method + " on " + path, () -> {
            CimSchema schema = schemas.current();
            CimMethodDef m = SchemaEnforcer.requireMethod(schema, path.className(), method);
            Map<String, Object> typed = SchemaEnforcer.checkArguments(m, arguments);
            CimInstance target = resolve(ctx, schema, path);
            MethodResult r = providerOf(schema, target.className()).invokeMethod(ctx, target.path(), m.name(), typed);
            return SchemaEnforcer.checkOutputs(m, r);
        });
    }

    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        require(ctx, realms.write(schemas.current(), instance.className(), null), "create", instance.className());
        return guarded(ctx, "create " + instance.className(), () -> {
            CimSchema schema = schemas.current();
            CimInstance typed = SchemaEnforcer.forCreate(schema, instance);
            CimObjectPath created = providerOf(schema, typed.className()).createInstance(ctx, typed);
            return SchemaEnforcer.checkPath(schema, created);
        });
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        require(ctx, realms.write(schemas.current(), path.className(), null), "delete", path.className());
        guarded(ctx, "delete " + path, () -> {
            CimSchema schema = schemas.current();
            if (path.keys().isEmpty()) {
                SchemaEnforcer.requireClass(schema, path.className());
                if (!schema.keys(path.className()).isEmpty()) {
                    throw new org.vamt.cim.InvalidKeyException(
                            org.vamt.cim.InvalidKeyException.Problem.INSUFFICIENT_SELECTORS,
                            "Delete needs the keys of " + path.className());
                }
            }
            // as AMT: some of the keys are enough when they name exactly one instance (DMT RPS, rpc-go and
            // MeshCentral delete CIRA policies by PolicyRuleName and MPSes by Name alone); keys several
            // instances fit stay insufficient, so a Delete never picks one of many
            CimInstance target = resolve(ctx, schema, path, true);
            providerOf(schema, target.className()).deleteInstance(ctx, target);
            return null;
        });
    }

    @Override
    public List<CimInstance> associators(RequestContext ctx, CimObjectPath objectPath, String assocClass,
                                         String resultClass, String role, String resultRole) throws CimException {
        require(ctx, realms.read(schemas.current(), objectPath.className()), "associators of", objectPath.className());
        return guarded(ctx, "associators of " + objectPath, () -> {
            CimSchema schema = schemas.current();
            String resultCls = resultClass == null ? null : SchemaEnforcer.requireClass(schema, resultClass).name();
            CimObjectPath object = resolve(ctx, schema, objectPath).path();
            Map<CimObjectPath, CimInstance> found = new LinkedHashMap<>();
            for (CimInstance association : referencing(ctx, schema, object, assocClass, role)) {
                for (CimPropertyDef ref : referenceProperties(schema, association.className())) {
                    if (!(association.get(ref.name()) instanceof CimObjectPath other) || sameObject(schema, other, object)
                            || (resultRole != null && !ref.name().equalsIgnoreCase(resultRole))) {
                        continue;
                    }
                    CimInstance end = otherEnd(ctx, schema, other);
                    if (end != null && (resultCls == null || schema.isA(end.className(), resultCls))) {
                        found.putIfAbsent(end.path(), end);
                    }
                }
            }
            List<CimInstance> readable = new ArrayList<>(found.values());
            readable.removeIf(i -> !mayRead(ctx, schema, i.className()));
            return readable;
        });
    }

    @Override
    public List<CimInstance> references(RequestContext ctx, CimObjectPath objectPath, String resultClass, String role)
            throws CimException {
        require(ctx, realms.read(schemas.current(), objectPath.className()), "references of", objectPath.className());
        return guarded(ctx, "references of " + objectPath, () -> {
            CimSchema schema = schemas.current();
            CimObjectPath object = resolve(ctx, schema, objectPath).path();
            List<CimInstance> readable = new ArrayList<>(referencing(ctx, schema, object, resultClass, role));
            readable.removeIf(i -> !mayRead(ctx, schema, i.className()));
            return readable;
        });
    }

    /**
     * Served association instances (of {@code assocClass} when given) with a reference property
     * (named {@code role} when given) that names {@code object}. Each association class is
     * enumerated once: a served association whose served ancestor is enumerated comes along.
     */
    private List<CimInstance> referencing(RequestContext ctx, CimSchema schema, CimObjectPath object,
                                          String assocClass, String role) throws CimException {
        String wanted = assocClass == null ? null : SchemaEnforcer.requireClass(schema, assocClass).name();
        List<String> associations = new ArrayList<>();
        for (String c : servedClasses()) {
            if (isAssociation(schema, c) && (wanted == null || schema.isA(c, wanted))) {
                associations.add(c);
            }
        }
        associations.removeIf(c -> associations.stream().anyMatch(a -> !a.equalsIgnoreCase(c) && schema.isA(c, a)));
        Map<CimObjectPath, CimInstance> out = new LinkedHashMap<>();
        for (String c : associations) {
            for (CimInstance association : enumerate(ctx, c)) {
                for (CimPropertyDef ref : referenceProperties(schema, association.className())) {
                    if ((role == null || ref.name().equalsIgnoreCase(role))
                            && association.get(ref.name()) instanceof CimObjectPath p && sameObject(schema, p, object)) {
                        out.putIfAbsent(association.path(), association);
                        break;
                    }
                }
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The Association qualifier, looked up along the class's lineage (subclasses may omit it). */
    private static boolean isAssociation(CimSchema schema, String className) {
        return schema.lineage(className).stream()
                .anyMatch(c -> schema.classDef(c).map(CimClassDef::isAssociation).orElse(false));
    }

    private static List<CimPropertyDef> referenceProperties(CimSchema schema, String className) {
        return schema.properties(className).stream().filter(p -> p.type() == CimDataType.REFERENCE).toList();
    }

    /**
     * Whether a reference names the resolved object: related classes (either way along the
     * lineage, as references are often typed with a superclass) and the object's keys, typed as
     * Get types a client's selectors. AMT writes some references with only the distinguishing
     * key (a CIM_EthernetPort by DeviceID alone); such a partial reference names the object when
     * every key it does give matches.
     */
    private static boolean sameObject(CimSchema schema, CimObjectPath reference, CimObjectPath object) {
        if (reference.keys().isEmpty() || (!schema.isA(reference.className(), object.className())
                && !schema.isA(object.className(), reference.className()))) {
            return false;
        }
        try {
            return SchemaEnforcer.checkPath(schema, new CimObjectPath(object.className(), reference.keys()))
                    .equals(object);
        } catch (org.vamt.cim.InvalidKeyException e) {
            return e.problem() == org.vamt.cim.InvalidKeyException.Problem.INSUFFICIENT_SELECTORS
                    && matches(object, reference);
        } catch (CimException e) {
            return false;
        }
    }

    /** Whether every key the reference gives has the object's value. */
    private static boolean matches(CimObjectPath object, CimObjectPath reference) {
        for (Map.Entry<String, Object> k : reference.keys().entrySet()) {
            if (!CimValues.sameValue(object.key(k.getKey()), k.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The instance at the other end of an association, or null when it is gone or not served.
     * A partial reference (see {@link #sameObject}) resolves when exactly one instance matches.
     */
    private CimInstance otherEnd(RequestContext ctx, CimSchema schema, CimObjectPath path) throws CimException {
        try {
            return resolve(ctx, schema, path);
        } catch (org.vamt.cim.InvalidKeyException e) {
            if (e.problem() == org.vamt.cim.InvalidKeyException.Problem.INSUFFICIENT_SELECTORS && !path.keys().isEmpty()) {
                List<CimInstance> candidates = new ArrayList<>();
                for (CimInstance i : enumerate(ctx, path.className())) {
                    if (matches(i.path(), path)) {
                        candidates.add(i);
                    }
                }
                if (candidates.size() == 1) {
                    return candidates.get(0);
                }
            }
            LOG.debug("VM {}: association end {} not resolved: {}", ctx.machineName(), path, e.getMessage());
            return null;
        } catch (CimException e) {
            if (e.status() == CimStatus.NOT_FOUND || e.status() == CimStatus.INVALID_CLASS) {
                LOG.debug("VM {}: association end {} not resolved: {}", ctx.machineName(), path, e.getMessage());
                return null;
            }
            throw e;
        }
    }

    /** The schema classes currently known, for tests and tools in this bundle. */
    SchemaRegistry schemaRegistry() {
        return schemas;
    }

    /**
     * Providers serving the class or a subclass, each with the most general class it serves, so
     * a provider registered for both a class and its subclass is asked once.
     */
    private Map<CimProvider, String> providersFor(CimSchema schema, String className) throws CimException {
        Map<CimProvider, String> calls = new LinkedHashMap<>();
        for (String c : schema.withSubclasses(className)) {
            registry.providerFor(c).ifPresent(p -> calls.putIfAbsent(p, c));
        }
        if (calls.isEmpty()) {
            throw new CimException(CimStatus.INVALID_CLASS, "no provider serves " + className);
        }
        return calls;
    }

    /** The provider of an instance's own class, or of its nearest superclass that has one. */
    private CimProvider providerOf(CimSchema schema, String className) throws CimException {
        for (String c : schema.lineage(className)) {
            var p = registry.providerFor(c);
            if (p.isPresent()) {
                return p.get();
            }
        }
        throw new CimException(CimStatus.INVALID_CLASS, "no provider serves " + className);
    }

    /**
     * Finds the instance a path names. No keys: the first instance (singletons). Otherwise the
     * provider's own getInstance, or, when it has none, a search of the enumeration.
     */
    private CimInstance resolve(RequestContext ctx, CimSchema schema, CimObjectPath clientPath) throws CimException {
        return resolve(ctx, schema, clientPath, true);
    }

    /**
     * As {@link #resolve(RequestContext, CimSchema, CimObjectPath)}; {@code lenient} accepts, as
     * real AMT does, a path that gives only some of the keys when exactly one instance of the
     * class has the values it gives (OpenStack Ironic's AMT driver and {@code amtctrl} name
     * CIM_PowerManagementService and CIM_BootService by {@code Name} alone). A value no instance
     * has is NOT_FOUND, as with a full path; a partial path that several instances fit stays
     * insufficient.
     */
    private CimInstance resolve(RequestContext ctx, CimSchema schema, CimObjectPath clientPath, boolean lenient)
            throws CimException {
        CimObjectPath path;
        try {
            path = SchemaEnforcer.checkPath(schema, clientPath);
        } catch (org.vamt.cim.InvalidKeyException e) {
            if (!lenient || e.problem() != org.vamt.cim.InvalidKeyException.Problem.INSUFFICIENT_SELECTORS
                    || clientPath.keys().isEmpty()) {
                throw e;
            }
            CimObjectPath partial = SchemaEnforcer.checkPartialPath(schema, clientPath);
            List<CimInstance> fitting = new ArrayList<>();
            for (CimInstance i : enumerate(ctx, partial.className())) {
                if (matches(i, partial)) {
                    fitting.add(i);
                }
            }
            if (fitting.isEmpty()) {
                throw new CimException(CimStatus.NOT_FOUND, "no instance matches " + partial);
            }
            if (fitting.size() > 1) {
                throw e;
            }
            return fitting.get(0);
        }
        if (path.keys().isEmpty()) {
            List<CimInstance> all = enumerate(ctx, path.className());
            if (all.isEmpty()) {
                throw new CimException(CimStatus.NOT_FOUND, "no instance of " + path.className());
            }
            return all.get(0);
        }
        var exact = registry.providerFor(path.className());
        if (exact.isPresent()) {
            try {
                CimInstance i = exact.get().getInstance(ctx, path);
                return SchemaEnforcer.normalize(schema, i);
            } catch (CimException e) {
                if (e.status() != CimStatus.NOT_SUPPORTED) {
                    throw e;
                }
            }
        }
        // Search the providers' own instances and normalize only the one that matches (a Get of
        // CIM_SoftwareIdentity would otherwise normalize all twelve). A key that only matches once
        // typed by the schema falls through to the search of the normalized enumeration.
        String cls = path.className();
        for (Map.Entry<CimProvider, String> call : providersFor(schema, cls).entrySet()) {
            for (CimInstance raw : call.getKey().enumerateInstances(ctx, call.getValue())) {
                if (schema.isA(raw.className(), cls) && matches(raw, path)) {
                    CimInstance i = SchemaEnforcer.normalize(schema, raw);
                    if (matches(i, path)) {
                        return i;
                    }
                }
            }
        }
        for (CimInstance i : enumerate(ctx, cls)) {
            if (matches(i, path)) {
                return i;
            }
        }
        throw new CimException(CimStatus.NOT_FOUND, "no instance matches " + path);
    }

    private static boolean matches(CimInstance i, CimObjectPath path) {
        for (Map.Entry<String, Object> e : path.keys().entrySet()) {
            if (!CimValues.sameValue(i.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
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

}
