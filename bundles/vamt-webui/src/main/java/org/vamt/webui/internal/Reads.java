package org.vamt.webui.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;

/**
 * The CIM reads of one page, as the Digest user: a class nobody serves now, or one the user may
 * not read, is simply absent (empty), so its section disappears; any other failure is the
 * caller's to show as text.
 */
final class Reads {
    private final CimObjectManager cim;
    private final RequestContext ctx;
    private Set<String> served;

    Reads(CimObjectManager cim, RequestContext ctx) {
        this.cim = cim;
        this.ctx = ctx;
    }

    RequestContext context() {
        return ctx;
    }

    boolean served(String className) {
        if (served == null) {
            served = cim.servedClasses();
        }
        return served.contains(className);
    }

    /** Whether the user may call {@code method} of a served {@code className} (the CIMOM's realm rule). */
    boolean mayInvoke(String className, String method) {
        return served(className) && cim.mayInvoke(ctx, className, method);
    }

    /** The instances of {@code className}; empty when it is not served or not the user's to read. */
    Optional<List<CimInstance>> all(String className) throws CimException {
        if (!served(className)) {
            return Optional.empty();
        }
        try {
            return Optional.of(cim.enumerateInstances(ctx, className));
        } catch (CimException e) {
            if (absent(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The first instance of {@code className} (a singleton), or empty as {@link #all}. */
    Optional<CimInstance> first(String className) throws CimException {
        return all(className).flatMap(l -> l.stream().findFirst());
    }

    /** One instance by its path, or empty as {@link #all} (and when there is no such instance). */
    Optional<CimInstance> get(CimObjectPath path) throws CimException {
        if (!served(path.className())) {
            return Optional.empty();
        }
        try {
            return Optional.of(cim.getInstance(ctx, path));
        } catch (CimException e) {
            if (absent(e) || e.status() == CimStatus.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** A method call, or empty as {@link #all}. */
    Optional<MethodResult> invoke(CimObjectPath path, String method, Map<String, Object> arguments)
            throws CimException {
        if (!served(path.className())) {
            return Optional.empty();
        }
        try {
            return Optional.of(cim.invokeMethod(ctx, path, method, arguments));
        } catch (CimException e) {
            if (absent(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Not served after all (a provider left between two calls) or not the user's: not an error to show. */
    private static boolean absent(CimException e) {
        return e.status() == CimStatus.ACCESS_DENIED || e.status() == CimStatus.INVALID_CLASS
                || e.status() == CimStatus.NOT_SUPPORTED;
    }
}
