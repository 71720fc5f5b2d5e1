package org.vamt.wsman.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.w3c.dom.Element;

/**
 * WS-Transfer, WS-Enumeration and custom actions on top of the CIMOM. Produces the response
 * envelope or throws the fault to send; knows nothing of HTTP.
 */
final class WsmanOperations {
    /** DSP0226: Pull without MaxElements returns one item. */
    private static final int DEFAULT_MAX_ELEMENTS = 1;
    private static final int MAX_ELEMENTS_CAP = 10_000;
    /** How deep embedded instances may nest in a method argument. */
    private static final int MAX_EMBEDDING = 4;
    /** PT_STATUS_AUDIT_FAIL (0x81B): a critical operation whose audit record cannot be written. */
    static final long AUDIT_FAIL = 2075;

    private final CimObjectManager cimom;
    private final EnumerationContexts enumerations;
    private final EventingOperations eventing;

    /** The CIMOM behind the operations (extra endpoint paths use it through {@link AuthorizedCim}). */
    CimObjectManager cimom() {
        return cimom;
    }

    WsmanOperations(CimObjectManager cimom, EnumerationContexts enumerations) {
        this(cimom, enumerations, new EventingOperations(() -> null));
    }

    WsmanOperations(CimObjectManager cimom, EnumerationContexts enumerations, EventingOperations eventing) {
        this.cimom = cimom;
        this.enumerations = enumerations;
        this.eventing = eventing;
    }

    String handle(RequestContext ctx, WsmanRequest req) throws WsmanFault {
        if (req.action() == null) {
            throw WsmanFault.headerRequired("Action");
        }
        if (req.to() == null) {
            throw WsmanFault.headerRequired("To");
        }
        if (req.messageId() == null) {
            throw WsmanFault.headerRequired("MessageID");
        }
        String response = switch (req.action()) {
            case Ns.ACTION_PULL -> pull(ctx, req);
            case Ns.ACTION_RELEASE -> release(ctx, req);
            case Ns.ACTION_SUBSCRIBE, Ns.ACTION_RENEW, Ns.ACTION_UNSUBSCRIBE, Ns.ACTION_GET_STATUS ->
                    eventing.handle(ctx, req);
            default -> dispatchByResource(ctx, req);
        };
        if (req.maxEnvelopeSize() != null
                && response.getBytes(StandardCharsets.UTF_8).length > req.maxEnvelopeSize()) {
            throw WsmanFault.encodingLimit("The response exceeds the MaxEnvelopeSize of the request.",
                    "MaxEnvelopeSize");
        }
        return response;
    }

    private String dispatchByResource(RequestContext ctx, WsmanRequest req) throws WsmanFault {
        if (req.resourceUri() == null) {
            throw WsmanFault.headerRequired("ResourceURI");
        }
        if (Ns.ACTION_ENUMERATE.equals(req.action()) && ResourceUris.isAllClasses(req.resourceUri())) {
            try {
                return enumerate(ctx, req, null);
            } catch (CimException e) {
                throw WsmanFault.fromCim(e, req.action());
            }
        }
        String className = ResourceUris.className(req.resourceUri())
                .orElseThrow(() -> WsmanFault.invalidResourceUri(req.resourceUri()));
        try {
            return switch (req.action()) {
                case Ns.ACTION_GET -> get(ctx, req, className);
                case Ns.ACTION_PUT -> put(ctx, req, className);
                case Ns.ACTION_ENUMERATE -> enumerate(ctx, req, className);
                case Ns.ACTION_CREATE -> create(ctx, req, className);
                case Ns.ACTION_DELETE -> delete(ctx, req, className);
                default -> invoke(ctx, req, className);
            };
        } catch (CimException e) {
            throw WsmanFault.fromCim(e, req.action());
        }
    }

    private void requireServed(String className, WsmanRequest req) throws WsmanFault {
        if (cimom.servedClasses().stream().noneMatch(className::equalsIgnoreCase)) {
            throw WsmanFault.invalidResourceUri(req.resourceUri());
        }
    }

    private String get(RequestContext ctx, WsmanRequest req, String className) throws CimException {
        CimInstance i = cimom.getInstance(ctx, new CimObjectPath(className, req.selectors()));
        return EnvelopeWriter.begin(req, Ns.WXF + "/GetResponse", req.resourceUri(), List.of(i)).instance(i).finish();
    }

    private String put(RequestContext ctx, WsmanRequest req, String className) throws CimException, WsmanFault {
        CimInstance.Builder modified = CimInstance.builder(className);
        parameters(representation(req, className)).forEach(modified::property);
        CimInstance updated;
        try {
            updated = cimom.modifyInstance(ctx, new CimObjectPath(className, req.selectors()), modified.build());
        } catch (CimException e) {
            throw rethrow(asRepresentationFault(e));
        }
        return EnvelopeWriter.begin(req, Ns.WXF + "/PutResponse", req.resourceUri(), List.of(updated))
                .instance(updated).finish();
    }

    /** WS-Transfer Create: the body is the new instance; the answer is its EPR. */
    private String create(RequestContext ctx, WsmanRequest req, String className) throws CimException, WsmanFault {
        requireServed(className, req);
        CimInstance.Builder wanted = CimInstance.builder(className);
        parameters(representation(req, className)).forEach(wanted::property);
        CimObjectPath created;
        try {
            created = cimom.createInstance(ctx, wanted.build());
        } catch (CimException e) {
            throw rethrow(asRepresentationFault(e));
        }
        EnvelopeWriter ew = EnvelopeWriter.begin(req, Ns.WXF + "/CreateResponse", Ns.WXF, List.of());
        ew.xml().start("g:ResourceCreated");
        ew.eprContent(created);
        ew.xml().end("g:ResourceCreated");
        return ew.finish();
    }

    /** WS-Transfer Delete: the selectors name the instance; the answer has an empty body. */
    private String delete(RequestContext ctx, WsmanRequest req, String className) throws CimException, WsmanFault {
        requireServed(className, req);
        cimom.deleteInstance(ctx, new CimObjectPath(className, req.selectors()));
        return EnvelopeWriter.begin(req, Ns.WXF + "/DeleteResponse", null, List.of()).finish();
    }

    private static Element representation(WsmanRequest req, String className) throws WsmanFault {
        Element body = req.body();
        if (body == null || !className.equalsIgnoreCase(body.getLocalName())
                || !req.resourceUri().equalsIgnoreCase(String.valueOf(body.getNamespaceURI()))) {
            throw new WsmanFault(WsmanFault.Code.SENDER, Ns.WXF, "InvalidRepresentation", Ns.WXF + "/fault",
                    "The body must be a " + className + " element in the ResourceURI namespace.",
                    Ns.FAULT_DETAIL + "InvalidNamespace");
        }
        return body;
    }

    /** Bad values in a Put or Create body are the representation's fault (wxf:InvalidRepresentation). */
    private static Exception asRepresentationFault(CimException e) {
        if (e instanceof org.vamt.cim.InvalidKeyException) {
            return e;
        }
        return switch (e.status()) {
            case INVALID_PARAMETER, TYPE_MISMATCH, NO_SUCH_PROPERTY -> new WsmanFault(WsmanFault.Code.SENDER, Ns.WXF,
                    "InvalidRepresentation", Ns.WXF + "/fault", e.getMessage(), Ns.FAULT_DETAIL + "InvalidValues");
            default -> e;
        };
    }

    private static WsmanFault rethrow(Exception e) throws CimException {
        if (e instanceof CimException c) {
            throw c;
        }
        return (WsmanFault) e;
    }

    /** Enumerate of a class, or (className null) of the all-classes URI, which needs a filter. */
    private String enumerate(RequestContext ctx, WsmanRequest req, String className)
            throws CimException, WsmanFault {
        Element body = req.body();
        if (body == null || !"Enumerate".equals(body.getLocalName()) || !Ns.WSEN.equals(body.getNamespaceURI())) {
            throw WsmanFault.schemaValidation("The Enumerate body is missing.");
        }
        boolean optimize = false;
        int maxElements = DEFAULT_MAX_ELEMENTS;
        EnumerationContexts.Mode mode = EnumerationContexts.Mode.OBJECT;
        Element filter = null;
        for (Element e : RequestParser.children(body)) {
            String name = e.getLocalName();
            if ("Filter".equals(name) && (Ns.WSMAN.equals(e.getNamespaceURI()) || Ns.WSEN.equals(e.getNamespaceURI()))) {
                filter = e;
                continue;
            }
            if (!Ns.WSMAN.equals(e.getNamespaceURI())) {
                continue;
            }
            switch (name) {
                case "OptimizeEnumeration" -> optimize = true;
                case "MaxElements" -> maxElements = count(RequestParser.text(e), "MaxElements");
                case "EnumerationMode" -> mode = switch (RequestParser.text(e)) {
                    case "EnumerateEPR" -> EnumerationContexts.Mode.EPR;
                    case "EnumerateObjectAndEPR" -> EnumerationContexts.Mode.OBJECT_AND_EPR;
                    default -> throw WsmanFault.unsupportedFeature("Unknown EnumerationMode.", "EnumerationMode");
                };
                default -> { }
            }
        }
        List<CimInstance> all;
        if (filter != null) {
            all = EnumerateFilters.apply(cimom, ctx, className, filter);
        } else if (className == null) {
            throw WsmanFault.cannotProcessFilter("The all-classes ResourceURI needs an association filter.");
        } else {
            all = cimom.enumerateInstances(ctx, className);
        }
        String owner = owner(ctx);
        // A class's own enumeration pages class by class, as AMT's does; filtered ones come whole.
        EnumerationContexts.Enumeration en = new EnumerationContexts.Enumeration(owner, req.resourceUri(), mode, all,
                filter == null);
        List<CimInstance> first = optimize ? en.take(maxElements) : List.of();
        boolean done = optimize && en.exhausted();
        String id = done ? null : enumerations.open(en);
        EnvelopeWriter ew = EnvelopeWriter.begin(req, Ns.WSEN + "/EnumerateResponse", Ns.WSEN, first);
        XmlWriter w = ew.xml();
        w.start("g:EnumerateResponse");
        if (id != null) {
            w.element("g:EnumerationContext", id);
        }
        if (optimize) {
            items(ew, "c:Items", first, mode);
            if (done) {
                w.start("c:EndOfSequence").end("c:EndOfSequence");
            }
        }
        w.end("g:EnumerateResponse");
        return ew.finish();
    }

    private String pull(RequestContext ctx, WsmanRequest req) throws WsmanFault {
        Element body = req.body();
        if (body == null || !"Pull".equals(body.getLocalName())) {
            throw WsmanFault.schemaValidation("The Pull body is missing.");
        }
        Element ctxElement = RequestParser.child(body, Ns.WSEN, "EnumerationContext");
        String id = ctxElement == null ? null : RequestParser.text(ctxElement);
        EnumerationContexts.Enumeration en = enumerations.get(id, owner(ctx));
        Element max = RequestParser.child(body, Ns.WSEN, "MaxElements");
        int maxElements = max == null ? DEFAULT_MAX_ELEMENTS : count(RequestParser.text(max), "MaxElements");
        List<CimInstance> batch = en.take(maxElements);
        boolean done = en.exhausted();
        if (done) {
            // The last PullResponse carries no context: MeshCentral and wsmancli pull while one is present.
            enumerations.close(id);
        }
        WsmanRequest echo = new WsmanRequest(req.action(), req.to(), req.messageId(), en.resourceUri, req.selectors(),
                req.maxEnvelopeSize(), req.operationTimeout(), body, req.header());
        EnvelopeWriter ew = EnvelopeWriter.begin(echo, Ns.WSEN + "/PullResponse", Ns.WSEN, batch);
        XmlWriter w = ew.xml();
        w.start("g:PullResponse");
        if (!done) {
            w.element("g:EnumerationContext", id);
        }
        items(ew, "g:Items", batch, en.mode);
        if (done) {
            w.start("g:EndOfSequence").end("g:EndOfSequence");
        }
        w.end("g:PullResponse");
        return ew.finish();
    }

    private String release(RequestContext ctx, WsmanRequest req) throws WsmanFault {
        Element body = req.body();
        Element ctxElement = body == null ? null : RequestParser.child(body, Ns.WSEN, "EnumerationContext");
        String id = ctxElement == null ? null : RequestParser.text(ctxElement);
        enumerations.get(id, owner(ctx));
        enumerations.close(id);
        return EnvelopeWriter.begin(req, Ns.WSEN + "/ReleaseResponse", null, List.of()).finish();
    }

    private static void items(EnvelopeWriter ew, String container, List<CimInstance> batch,
                              EnumerationContexts.Mode mode) {
        XmlWriter w = ew.xml();
        w.start(container);
        for (CimInstance i : batch) {
            switch (mode) {
                case OBJECT -> ew.instance(i);
                case EPR -> ew.endpointReference(i.path());
                case OBJECT_AND_EPR -> {
                    w.start("c:Item");
                    ew.instance(i).endpointReference(i.path());
                    w.end("c:Item");
                }
            }
        }
        w.end(container);
    }

    private String invoke(RequestContext ctx, WsmanRequest req, String className) throws CimException, WsmanFault {
        String prefix = req.resourceUri() + "/";
        if (!req.action().regionMatches(true, 0, prefix, 0, prefix.length())) {
            requireServed(className, req);
            throw WsmanFault.actionNotSupported(req.action());
        }
        String method = req.action().substring(prefix.length());
        if (!ResourceUris.isCimName(method)) {
            throw WsmanFault.actionNotSupported(req.action());
        }
        Element body = req.body();
        Map<String, Object> args = Map.of();
        if (body != null) {
            if (!(method + "_INPUT").equalsIgnoreCase(body.getLocalName())) {
                throw WsmanFault.schemaValidation("The body of " + method + " must be " + method + "_INPUT.");
            }
            args = arguments(body);
        }
        MethodResult result = cimom.invokeMethod(ctx, new CimObjectPath(className, req.selectors()), method, args);
        return methodResponse(req, method, result);
    }

    private static String methodResponse(WsmanRequest req, String method, MethodResult result) {
        EnvelopeWriter ew = EnvelopeWriter.begin(req, req.action() + "Response", req.resourceUri(), List.of());
        String out = "g:" + method + "_OUTPUT";
        ew.xml().start(out);
        result.outputs().forEach((name, value) -> ew.property("g:" + name, value));
        ew.property("g:ReturnValue", result.returnValue());
        ew.xml().end(out);
        return ew.finish();
    }

    /**
     * The answer to an operation refused without running because the VM's audit policy marks its
     * event critical and the record cannot be written: a method answers its ReturnValue
     * PT_STATUS_AUDIT_FAIL (2075), as AMT does; Put, Create, Delete and the rest carry no return
     * value, so they get wsman:AccessDenied saying why.
     */
    static String auditFailed(WsmanRequest req) throws WsmanFault {
        String action = req.action();
        String uri = req.resourceUri();
        if (action != null && uri != null && !Ns.ACTION_PUT.equals(action) && !Ns.ACTION_CREATE.equals(action)
                && !Ns.ACTION_DELETE.equals(action)
                && action.regionMatches(true, 0, uri + "/", 0, uri.length() + 1)) {
            String method = action.substring(uri.length() + 1);
            if (ResourceUris.isCimName(method)) {
                return methodResponse(req, method, MethodResult.of(AUDIT_FAIL));
            }
        }
        throw WsmanFault.accessDenied("Not executed: the audit policy marks this operation critical and its audit"
                + " record cannot be written now (the audit log is locked or full); PT_STATUS_AUDIT_FAIL (2075).");
    }

    /** Child elements as named values: text, references (EPR content), repeated names as lists. */
    private static Map<String, Object> parameters(Element parent) throws WsmanFault {
        return parameters(parent, -1);
    }

    /** Method arguments: {@link #parameters(Element, int)} with embedded instances. */
    private static Map<String, Object> arguments(Element parent) throws WsmanFault {
        return parameters(parent, 0);
    }

    /**
     * Child elements as named values: text (a {@code Datetime}/{@code Interval} wrapper gives its
     * text), references (EPR content), embedded instances (an argument whose children are the
     * properties of a class, in that class's ResourceURI namespace, e.g. AddAlarm's AlarmTemplate),
     * repeated names as lists. A negative depth takes no embedded instances (Put and Create bodies).
     */
    private static Map<String, Object> parameters(Element parent, int depth) throws WsmanFault {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Element e : RequestParser.children(parent)) {
            Object v;
            Element nestedEpr = RequestParser.child(e, Ns.WSA, "EndpointReference");
            if (nestedEpr != null) {
                v = RequestParser.endpointReference(nestedEpr);
            } else if (RequestParser.isEndpointReference(e)) {
                v = RequestParser.endpointReference(e);
            } else if (depth >= 0 && isEmbeddedInstance(e)) {
                v = embeddedInstance(e, depth);
            } else {
                v = RequestParser.text(e);
            }
            String name = e.getLocalName();
            Object previous = values.get(name);
            if (previous == null) {
                values.put(name, v);
            } else {
                List<Object> list = new ArrayList<>();
                if (previous instanceof List<?> l) {
                    list.addAll(l);
                } else {
                    list.add(previous);
                }
                list.add(v);
                values.put(name, list);
            }
        }
        return values;
    }

    /** An element with element children that are neither an EPR nor a CIM datetime wrapper. */
    private static boolean isEmbeddedInstance(Element e) {
        List<Element> children = RequestParser.children(e);
        return !children.isEmpty() && children.stream().noneMatch(c -> Ns.CIM_COMMON.equals(c.getNamespaceURI()));
    }

    /** The embedded instance an element holds; its class is the one whose ResourceURI is its properties' namespace. */
    private static CimInstance embeddedInstance(Element e, int depth) throws WsmanFault {
        if (depth >= MAX_EMBEDDING) {
            throw WsmanFault.invalidParameter("Embedded instances are nested too deeply.");
        }
        String ns = RequestParser.children(e).get(0).getNamespaceURI();
        String className = ResourceUris.className(ns).orElseThrow(() -> WsmanFault.invalidParameter(
                "The argument " + e.getLocalName() + " holds elements of no known class."));
        CimInstance.Builder b = CimInstance.builder(className);
        parameters(e, depth + 1).forEach(b::property);
        return b.build();
    }

    private static int count(String text, String what) throws WsmanFault {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return Math.min(n, MAX_ELEMENTS_CAP);
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw WsmanFault.invalidParameter(what + " must be a positive integer.");
    }

    private static String owner(RequestContext ctx) {
        return ctx.machineId() + "|" + ctx.user();
    }
}
