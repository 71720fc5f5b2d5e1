package org.vamt.wsman.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimValues;

/**
 * Writes response envelopes as real AMT does: every namespace prefix declared once on the
 * Envelope (a SOAP, b addressing, c wsman, g body class or enumeration, h… item classes,
 * i CIM common), instance elements and leaf properties free of attributes, no self-closing tags.
 */
final class EnvelopeWriter {
    private static final String[] CLASS_PREFIXES = {"g", "h", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t",
        "u", "v", "w", "x", "y", "z"};

    private final XmlWriter w = new XmlWriter();
    /** Namespace URI → prefix for the class namespaces of this envelope. */
    private final Map<String, String> classPrefixes = new LinkedHashMap<>();
    private int nextPrefix;

    private EnvelopeWriter() {
    }

    /**
     * Starts an envelope. {@code reservedG} is the namespace bound to {@code g} (the body class for
     * Get/Put/Invoke, enumeration for Enumerate/Pull); {@code instances} are scanned so that every
     * class namespace they use is declared on the Envelope.
     */
    static EnvelopeWriter begin(WsmanRequest req, String responseAction, String reservedG,
                                Collection<CimInstance> instances) {
        EnvelopeWriter ew = new EnvelopeWriter();
        if (reservedG != null) {
            ew.prefixFor(reservedG);
        }
        for (CimInstance i : instances) {
            ew.declareClasses(i);
        }
        ew.envelopeStart();
        ew.header(req, responseAction, req.resourceUri());
        ew.w.start("a:Body");
        return ew;
    }

    private void declareClasses(CimInstance i) {
        prefixFor(ResourceUris.forClass(i.className()));
        for (Object v : i.properties().values()) {
            if (v instanceof CimInstance embedded) {
                declareClasses(embedded);
            } else if (v instanceof List<?> list) {
                list.stream().filter(CimInstance.class::isInstance).forEach(e -> declareClasses((CimInstance) e));
            }
        }
    }

    String prefixFor(String namespace) {
        return classPrefixes.computeIfAbsent(namespace, ns -> CLASS_PREFIXES[nextPrefix++]);
    }

    private void envelopeStart() {
        w.declaration();
        w.open("a:Envelope").attr("xmlns:a", Ns.SOAP).attr("xmlns:b", Ns.WSA).attr("xmlns:c", Ns.WSMAN);
        classPrefixes.forEach((ns, prefix) -> w.attr("xmlns:" + prefix, ns));
        w.attr("xmlns:i", Ns.CIM_COMMON).attr("xmlns:xsi", Ns.XSI).close();
    }

    private void header(WsmanRequest req, String action, String resourceUri) {
        w.start("a:Header");
        w.element("b:To", Ns.ANONYMOUS);
        if (req != null && req.messageId() != null) {
            w.element("b:RelatesTo", req.messageId());
        }
        w.open("b:Action").attr("a:mustUnderstand", "true").close().text(action).end("b:Action");
        w.element("b:MessageID", "uuid:" + messageId());
        if (resourceUri != null) {
            w.element("c:ResourceURI", resourceUri);
        }
        w.end("a:Header");
    }

    /**
     * A random (version 4) UUID for a reply's MessageID. It only has to be unique, not unguessable, so it comes from
     * ThreadLocalRandom: UUID.randomUUID draws on the shared SecureRandom, a lock and a /dev/urandom read per reply.
     */
    private static UUID messageId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;                 // version 4
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(high, low);
    }

    XmlWriter xml() {
        return w;
    }

    /** Writes one instance as {@code <p:Class>…</p:Class>}. */
    EnvelopeWriter instance(CimInstance i) {
        String p = prefixFor(ResourceUris.forClass(i.className()));
        w.start(p + ":" + i.className());
        i.properties().forEach((name, value) -> property(p + ":" + name, value));
        w.end(p + ":" + i.className());
        return this;
    }

    /** Writes a named value; lists become repeated elements. */
    EnvelopeWriter property(String qname, Object value) {
        if (value instanceof List<?> list) {
            list.forEach(v -> property(qname, v));
            return this;
        }
        if (value instanceof CimObjectPath path) {
            w.start(qname);
            eprContent(path);
            w.end(qname);
        } else if (value instanceof CimDateTime dt) {
            w.start(qname).element(dt.interval() ? "i:Interval" : "i:Datetime", dt.text()).end(qname);
        } else if (value instanceof CimInstance embedded) {
            w.start(qname);
            instance(embedded);
            w.end(qname);
        } else {
            w.element(qname, scalarText(value));
        }
        return this;
    }

    /** {@code <b:EndpointReference>…</b:EndpointReference>} for an instance path. */
    EnvelopeWriter endpointReference(CimObjectPath path) {
        w.start("b:EndpointReference");
        eprContent(path);
        w.end("b:EndpointReference");
        return this;
    }

    /** Address and ReferenceParameters of an EPR, without the EndpointReference wrapper. */
    void eprContent(CimObjectPath path) {
        w.element("b:Address", Ns.ANONYMOUS);
        w.start("b:ReferenceParameters");
        w.element("c:ResourceURI", ResourceUris.forClass(path.className()));
        w.start("c:SelectorSet");
        // AMT writes every SelectorSet in alphabetical order of the selector names.
        List<Map.Entry<String, Object>> selectors = new ArrayList<>(path.keys().entrySet());
        selectors.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, Object> k : selectors) {
            w.open("c:Selector").attr("Name", k.getKey()).close();
            if (k.getValue() instanceof CimObjectPath ref) {
                endpointReference(ref);
            } else {
                w.text(scalarText(k.getValue()));
            }
            w.end("c:Selector");
        }
        w.end("c:SelectorSet");
        w.end("b:ReferenceParameters");
    }

    static String scalarText(Object value) {
        if (value instanceof Double d) {
            return BigDecimal.valueOf(d).toPlainString();
        }
        return CimValues.text(value);
    }

    String finish() {
        w.end("a:Body").end("a:Envelope");
        return w.toString();
    }

    /**
     * A SOAP 1.2 fault envelope shaped as real AMT sends it: AMT's fault namespace declarations
     * (a SOAP, b addressing, c enumeration, d transfer, e wsman, f eventing, g CIM binding, h
     * trust, i WSS), no ResourceURI header, the DSP0226 Reason text AMT uses for the subcode
     * (never our own diagnosis, which goes to the debug log) and an empty {@code Detail}.
     */
    static String fault(WsmanRequest req, WsmanFault f) {
        XmlWriter w = new XmlWriter().declaration();
        w.open("a:Envelope").attr("xmlns:g", Ns.WSMB).attr("xmlns:f", WSE).attr("xmlns:e", Ns.WSMAN)
                .attr("xmlns:d", Ns.WXF).attr("xmlns:c", Ns.WSEN).attr("xmlns:b", Ns.WSA).attr("xmlns:a", Ns.SOAP)
                .attr("xmlns:h", WST).attr("xmlns:i", WSS).attr("xmlns:xsi", Ns.XSI).close();
        w.start("a:Header");
        w.element("b:To", Ns.ANONYMOUS);
        if (req != null && req.messageId() != null) {
            w.element("b:RelatesTo", req.messageId());
        }
        w.open("b:Action").attr("a:mustUnderstand", "true").close().text(f.action()).end("b:Action");
        w.element("b:MessageID", "uuid:" + messageId());
        w.end("a:Header");
        w.start("a:Body").start("a:Fault").start("a:Code");
        w.element("a:Value", switch (f.code()) {
            case SENDER -> "a:Sender";
            case RECEIVER -> "a:Receiver";
            case MUST_UNDERSTAND -> "a:MustUnderstand";
            case VERSION_MISMATCH -> "a:VersionMismatch";
        });
        if (f.subcode() != null) {
            w.start("a:Subcode").element("a:Value", FAULT_PREFIXES.get(f.subcodeNs()) + ":" + f.subcode())
                    .end("a:Subcode");
        }
        w.end("a:Code");
        w.start("a:Reason").open("a:Text").attr("xml:lang", "en-US").close().text(f.amtReason())
                .end("a:Text").end("a:Reason");
        w.start("a:Detail").end("a:Detail");
        w.end("a:Fault").end("a:Body").end("a:Envelope");
        return w.toString();
    }

    private static final String WSE = Ns.WSE;
    private static final String WST = Ns.WST;
    private static final String WSS = Ns.WSS;
    /** The prefixes AMT's fault envelope binds, by namespace. */
    private static final Map<String, String> FAULT_PREFIXES = Map.of(Ns.SOAP, "a", Ns.WSA, "b", Ns.WSEN, "c",
            Ns.WXF, "d", Ns.WSMAN, "e", WSE, "f", Ns.WSMB, "g");

    /** The Identify answer (DSP0226 §11), unauthenticated. Product version is "AMT major.minor". */
    static String identify(String amtVersion) {
        String[] v = amtVersion.split("\\.");
        XmlWriter w = new XmlWriter().declaration();
        w.open("a:Envelope").attr("xmlns:a", Ns.SOAP).attr("xmlns:b", Ns.WSMID)
                .attr("xmlns:c", "http://schemas.dmtf.org/wbem/dash/1/dash.xsd").close();
        w.start("a:Header").end("a:Header");
        w.start("a:Body").start("b:IdentifyResponse");
        w.element("b:ProtocolVersion", Ns.WSMAN);
        w.element("b:ProductVendor", "Intel(r)");
        w.element("b:ProductVersion", "AMT " + v[0] + "." + v[1]);
        w.element("c:DASHVersion", "1.0.0");
        w.start("b:SecurityProfiles");
        w.element("b:SecurityProfileName", "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest");
        w.end("b:SecurityProfiles");
        w.end("b:IdentifyResponse").end("a:Body").end("a:Envelope");
        return w.toString();
    }
}
