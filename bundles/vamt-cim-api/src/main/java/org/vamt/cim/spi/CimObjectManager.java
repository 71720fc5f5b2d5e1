package org.vamt.cim.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;

/**
 * The CIMOM as protocol front ends (WS-Management) see it: CIM operations dispatched to
 * whichever provider currently serves the class. A class nobody serves fails with INVALID_CLASS.
 */
public interface CimObjectManager {

    /** Class names currently served by some provider. */
    Set<String> servedClasses();

    List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException;

    /**
     * The instance named by {@code path}. A path with no keys names the class's first instance,
     * which is how clients address singletons. Keys that the instance does not have fail with
     * INVALID_PARAMETER; no match fails with NOT_FOUND.
     */
    CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException;

    /** Applies a Put; {@code path} is resolved as in {@link #getInstance}. */
    CimInstance modifyInstance(RequestContext ctx, CimObjectPath path, CimInstance modified) throws CimException;

    /** Invokes a method on the instance named by {@code path} (resolved as in {@link #getInstance}). */
    MethodResult invokeMethod(RequestContext ctx, CimObjectPath path, String method, Map<String, Object> arguments)
            throws CimException;

    /**
     * Whether the user of {@code ctx} holds the realm that invoking {@code method} on
     * {@code className} needs: what a front end asks before it offers the action (a web page's
     * button); the call itself is checked again. Says nothing of whether the class is served.
     */
    boolean mayInvoke(RequestContext ctx, String className, String method);

    /** Creates an instance (typed by the schema) and returns its path. */
    CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException;

    /** Deletes the instance named by {@code path} (exact keys). */
    void deleteInstance(RequestContext ctx, CimObjectPath path) throws CimException;

    /**
     * Instances associated with the object at {@code objectPath} (CIM Associators): for every
     * association instance that references the object (through the reference property
     * {@code role}, when given), the instances its other references name (through
     * {@code resultRole}, when given). Optional filters are null; {@code assocClass} and
     * {@code resultClass} include subclasses. Each instance appears once, with its real class.
     */
    List<CimInstance> associators(RequestContext ctx, CimObjectPath objectPath, String assocClass,
                                  String resultClass, String role, String resultRole) throws CimException;

    /**
     * Association instances that reference the object at {@code objectPath} (CIM References),
     * through the reference property {@code role} when given, of {@code resultClass} (or a
     * subclass) when given.
     */
    List<CimInstance> references(RequestContext ctx, CimObjectPath objectPath, String resultClass, String role)
            throws CimException;
}
