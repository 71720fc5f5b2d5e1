package org.vamt.wsman.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;
import org.vamt.cim.InvalidKeyException;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.w3c.dom.Element;

/**
 * The Enumerate filters we understand: DSP0227 association traversal ({@code AssociatedInstances}
 * = CIM Associators, {@code AssociationInstances} = CIM References) and DSP0226 selector filters.
 * A class ResourceURI narrows the results to that class (and its subclasses); the all-classes
 * URI does not narrow. Filters that cannot be applied are {@code wsen:CannotProcessFilter}.
 */
final class EnumerateFilters {
    private EnumerateFilters() {
    }

    /** The instances the filter selects; {@code className} is null for the all-classes URI. */
    static List<CimInstance> apply(CimObjectManager cimom, RequestContext ctx, String className, Element filter)
            throws WsmanFault, CimException {
        String dialect = filter.getAttribute("Dialect").trim();
        if (Ns.ASSOCIATION_FILTER.equals(dialect)) {
            return associations(cimom, ctx, className, filter);
        }
        if (Ns.SELECTOR_FILTER.equals(dialect)) {
            if (className == null) {
                throw WsmanFault.cannotProcessFilter("A selector filter needs a class ResourceURI.");
            }
            return selected(cimom, ctx, className, filter);
        }
        // DSP0226: no Dialect attribute means XPath 1.0, which we do not implement either.
        throw WsmanFault.filterDialectRequestedUnavailable(dialect.isEmpty() ? "XPath 1.0 (default)" : dialect);
    }

    private static List<CimInstance> associations(CimObjectManager cimom, RequestContext ctx, String className,
                                                  Element filter) throws WsmanFault, CimException {
        Element associated = RequestParser.child(filter, Ns.WSMB, "AssociatedInstances");
        Element association = RequestParser.child(filter, Ns.WSMB, "AssociationInstances");
        if ((associated == null) == (association == null)) {
            throw WsmanFault.cannotProcessFilter(
                    "An association filter holds exactly one AssociatedInstances or AssociationInstances.");
        }
        Element query = associated != null ? associated : association;
        CimObjectPath object = object(query);
        String role = name(query, "Role");
        String resultClass = name(query, "ResultClassName");
        try {
            if (associated != null) {
                String assocClass = name(query, "AssociationClassName");
                String resultRole = name(query, "ResultRole");
                List<CimInstance> found = cimom.associators(ctx, object, assocClass, resultClass, role, resultRole);
                return className == null ? found
                        : intersect(found, cimom.associators(ctx, object, assocClass, className, role, resultRole));
            }
            List<CimInstance> found = cimom.references(ctx, object, resultClass, role);
            return className == null ? found : intersect(found, cimom.references(ctx, object, className, role));
        } catch (CimException e) {
            throw asFilterProblem(e);
        }
    }

    /** The filter's Object: an EPR's content, or (as some clients write it) a wrapped EndpointReference. */
    private static CimObjectPath object(Element query) throws WsmanFault {
        Element object = RequestParser.child(query, Ns.WSMB, "Object");
        if (object == null) {
            throw WsmanFault.cannotProcessFilter("The association filter has no Object.");
        }
        Element wrapped = RequestParser.child(object, Ns.WSA, "EndpointReference");
        try {
            return RequestParser.endpointReference(wrapped != null ? wrapped : object);
        } catch (WsmanFault e) {
            throw WsmanFault.cannotProcessFilter("The association filter's Object is not usable: " + e.getMessage());
        }
    }

    /** An optional class or property name; empty elements (wsmancli writes them) count as absent. */
    private static String name(Element query, String element) throws WsmanFault {
        Element e = RequestParser.child(query, Ns.WSMB, element);
        if (e == null || RequestParser.text(e).isEmpty()) {
            return null;
        }
        String text = RequestParser.text(e);
        if (!ResourceUris.isCimName(text)) {
            throw WsmanFault.cannotProcessFilter(element + " is not a CIM name: " + text);
        }
        return text;
    }

    /** Both traversals in the order of the first, so a class URI narrows without knowing the schema. */
    private static List<CimInstance> intersect(List<CimInstance> found, List<CimInstance> ofClass) {
        Set<CimObjectPath> allowed = new LinkedHashSet<>();
        ofClass.forEach(i -> allowed.add(i.path()));
        List<CimInstance> out = new ArrayList<>();
        for (CimInstance i : found) {
            if (allowed.contains(i.path())) {
                out.add(i);
            }
        }
        return out;
    }

    /** A selector filter: the class's instances whose properties have every selector's value. */
    private static List<CimInstance> selected(CimObjectManager cimom, RequestContext ctx, String className,
                                              Element filter) throws WsmanFault, CimException {
        Element set = RequestParser.child(filter, Ns.WSMAN, "SelectorSet");
        if (set == null) {
            throw WsmanFault.cannotProcessFilter("The selector filter has no SelectorSet.");
        }
        Map<String, Object> selectors;
        try {
            selectors = RequestParser.selectorSet(set);
        } catch (WsmanFault e) {
            throw WsmanFault.cannotProcessFilter("The selector filter is not usable: " + e.getMessage());
        }
        List<CimInstance> out = new ArrayList<>();
        for (CimInstance i : cimom.enumerateInstances(ctx, className)) {
            if (selectors.entrySet().stream().allMatch(s -> CimValues.sameValue(i.get(s.getKey()), s.getValue()))) {
                out.add(i);
            }
        }
        return out;
    }

    /** A filter naming classes or objects that do not exist cannot be processed. */
    private static WsmanFault asFilterProblem(CimException e) throws CimException {
        if (e instanceof InvalidKeyException) {
            return WsmanFault.cannotProcessFilter("The association filter's Object: " + e.getMessage());
        }
        return switch (e.status()) {
            case INVALID_CLASS, NOT_FOUND, INVALID_PARAMETER, TYPE_MISMATCH ->
                    WsmanFault.cannotProcessFilter("The association filter cannot be applied: " + e.getMessage());
            default -> throw e;
        };
    }
}
