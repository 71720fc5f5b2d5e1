package org.vamt.cim.spi;

import java.util.List;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;

/**
 * A CIM provider, registered as an OSGi service with the service property {@link #CLASSES}
 * listing the class names it serves. The CIMOM finds it at runtime (whiteboard).
 *
 * <p>Only {@link #enumerateInstances} is required: as with CIMPLE, the CIMOM answers Get by
 * searching the enumeration when a provider does not implement {@link #getInstance}. A provider
 * serving a superclass name (e.g. CIM_ServiceAvailableToElement) returns instances of the real
 * subclass.
 */
public interface CimProvider {

    /** Service property: String or String[] of CIM class names this provider serves. */
    String CLASSES = "vamt.cim.classes";

    /**
     * Service property prefix: the AMT realm an operation on a class needs, as the provider
     * declares it, enforced by the CIMOM for every caller (so a hot-deployed provider brings its
     * own policy). {@code vamt.cim.realm.<Class>=<read>[,<write>]} gives the realm of Get and
     * Enumerate, then of Put, Create, Delete and methods; {@code vamt.cim.realm.<Class>.<Method>=<realm>}
     * overrides one method. {@code *} means any authenticated user; a written realm defaults to
     * PT Administration (3) when read is {@code *}, else to the read realm. A class with no
     * declaration needs PT Administration.
     */
    String REALM_PREFIX = "vamt.cim.realm.";

    /** All instances of {@code className} for the VM of {@code ctx}. */
    List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException;

    /**
     * One instance by its full key set. The default says NOT_SUPPORTED, which makes the CIMOM
     * fall back to searching {@link #enumerateInstances}. Throw NOT_FOUND when there is none.
     */
    default CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        throw new CimException(CimStatus.NOT_SUPPORTED, "getInstance");
    }

    /**
     * Applies a client's changed instance (WS-Transfer Put) and returns the instance as it now is.
     *
     * @param current  the instance as the provider last reported it
     * @param modified the client's representation; only writable properties should be applied
     */
    default CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        throw new CimException(CimStatus.NOT_SUPPORTED, "modifyInstance of " + current.className());
    }

    /**
     * Runs an extrinsic method on {@code target} (an existing instance, already resolved by the
     * CIMOM). Arguments are keyed by parameter name; values are text, {@link CimObjectPath}
     * references, or lists of those when a parameter is repeated.
     */
    default MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                      Map<String, Object> arguments) throws CimException {
        throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + " on " + target.className());
    }

    /**
     * Creates an instance from a client's representation (WS-Transfer Create) and returns the
     * path of the new instance; the provider assigns keys the client left out.
     */
    default CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        throw new CimException(CimStatus.NOT_SUPPORTED, "createInstance of " + instance.className());
    }

    /**
     * Deletes an existing instance (already resolved by the CIMOM). Refuse with a CimException when
     * the instance is in use.
     */
    default void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        throw new CimException(CimStatus.NOT_SUPPORTED, "deleteInstance of " + instance.className());
    }
}
