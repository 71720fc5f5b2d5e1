package org.vamt.wsman.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.xml.datatype.DatatypeConfigurationException;
import javax.xml.datatype.DatatypeFactory;
import org.vamt.cim.spi.RequestContext;
import org.vamt.wsman.eventing.DeliveryMode;
import org.vamt.wsman.eventing.EventSubscriptions;
import org.vamt.wsman.eventing.EventingException;
import org.vamt.wsman.eventing.ReferenceParameter;
import org.vamt.wsman.eventing.SubscribeRequest;
import org.vamt.wsman.eventing.Subscription;
import org.w3c.dom.Element;

/**
 * WS-Eventing 2004/08 as AMT speaks it (DSP0226 §10): reads Subscribe, Renew, Unsubscribe and
 * GetStatus, hands them to the {@link EventSubscriptions} service and writes the answers. Only the
 * protocol lives here; the subscriptions, their limits and the delivery are vamt-eventing's.
 */
final class EventingOperations {
    /** The Digest security profile a Delivery's wsman:Auth names for pushing to the subscriber. */
    static final String DIGEST_PROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest";
    /** The resource the SubscriptionManager EPR names, as AMT's subscriptions are CIM_IndicationSubscription. */
    static final String SUBSCRIPTION_RESOURCE = ResourceUris.CIM + "CIM_IndicationSubscription";
    private static final int MAX_REFERENCE_PARAMETERS = 8;
    private static final DatatypeFactory DURATIONS = durations();

    private final Supplier<EventSubscriptions> service;

    EventingOperations(Supplier<EventSubscriptions> service) {
        this.service = service;
    }

    static boolean isEventing(String action) {
        return Ns.ACTION_SUBSCRIBE.equals(action) || Ns.ACTION_RENEW.equals(action)
                || Ns.ACTION_UNSUBSCRIBE.equals(action) || Ns.ACTION_GET_STATUS.equals(action);
    }

    String handle(RequestContext ctx, WsmanRequest req) throws WsmanFault {
        EventSubscriptions subscriptions = service.get();
        if (subscriptions == null) {
            throw WsmanFault.actionNotSupported(req.action());
        }
        try {
            return switch (req.action()) {
                case Ns.ACTION_SUBSCRIBE -> subscribe(ctx, req, subscriptions);
                case Ns.ACTION_RENEW -> {
                    Element expires = req.body() == null ? null : RequestParser.child(req.body(), Ns.WSE, "Expires");
                    Subscription s = subscriptions.renew(ctx, identifier(req), expires(expires));
                    yield answer(req, "RenewResponse", s);
                }
                case Ns.ACTION_GET_STATUS -> answer(req, "GetStatusResponse",
                        subscriptions.status(ctx, identifier(req)));
                default -> {
                    subscriptions.unsubscribe(ctx, identifier(req));
                    yield EnvelopeWriter.begin(req, Ns.WSE + "/UnsubscribeResponse", null, List.of()).finish();
                }
            };
        } catch (EventingException e) {
            throw fault(e);
        }
    }

    private String subscribe(RequestContext ctx, WsmanRequest req, EventSubscriptions subscriptions)
            throws WsmanFault, EventingException {
        if (req.resourceUri() == null) {
            throw WsmanFault.headerRequired("ResourceURI");
        }
        Element body = req.body();
        if (body == null || !Ns.WSE.equals(body.getNamespaceURI()) || !"Subscribe".equals(body.getLocalName())) {
            throw WsmanFault.schemaValidation("The body of a Subscribe is a wse:Subscribe.");
        }
        if (RequestParser.child(body, Ns.WSE, "Filter") != null) {
            // AMT offers its filters as the Name selector, not as a filter expression
            throw WsmanFault.eventing("FilteringNotSupported", "Name a filter with the Name selector.");
        }
        Element delivery = RequestParser.child(body, Ns.WSE, "Delivery");
        if (delivery == null) {
            throw WsmanFault.schemaValidation("A Subscribe needs a Delivery.");
        }
        DeliveryMode mode = DeliveryMode.fromUri(delivery.getAttribute("Mode"))
                .orElseThrow(() -> WsmanFault.eventing("DeliveryModeRequestedUnavailable",
                        "Delivery mode " + delivery.getAttribute("Mode") + " is not offered; Push and PushWithAck are."));
        Element notifyTo = RequestParser.child(delivery, Ns.WSE, "NotifyTo");
        Element address = notifyTo == null ? null : RequestParser.child(notifyTo, Ns.WSA, "Address");
        if (address == null || RequestParser.text(address).isBlank()) {
            throw WsmanFault.schemaValidation("A push Delivery needs a NotifyTo address.");
        }
        List<ReferenceParameter> parameters = referenceParameters(notifyTo);
        Element auth = RequestParser.child(delivery, Ns.WSMAN, "Auth");
        String[] credentials = usernameToken(req.header());
        if (auth != null) {
            String profile = auth.getAttribute("Profile").trim();
            if (!DIGEST_PROFILE.equals(profile)) {
                throw WsmanFault.unsupportedFeature("Only the HTTP Digest profile is offered for pushing events.",
                        "AuthorizationMode");
            }
            if (credentials == null) {
                throw WsmanFault.invalidParameter("wsman:Auth with Digest needs an IssuedTokens UsernameToken.");
            }
        } else if (credentials != null) {
            throw WsmanFault.invalidParameter("Credentials were given without a wsman:Auth profile to use them.");
        }
        Object filter = req.selectors().get("Name");
        SubscribeRequest request = new SubscribeRequest(req.resourceUri(), filter instanceof String s ? s : null, mode,
                RequestParser.text(address).trim(), parameters, credentials == null ? null : credentials[0],
                credentials == null ? null : credentials[1],
                expires(RequestParser.child(body, Ns.WSE, "Expires")));
        Subscription s = subscriptions.subscribe(ctx, request);
        EnvelopeWriter ew = EnvelopeWriter.begin(req, Ns.WSE + "/SubscribeResponse", Ns.WSE, List.of());
        XmlWriter w = ew.xml();
        w.start("g:SubscribeResponse").start("g:SubscriptionManager");
        w.element("b:Address", req.to() == null ? Ns.ANONYMOUS : req.to());
        w.start("b:ReferenceParameters");
        w.element("c:ResourceURI", SUBSCRIPTION_RESOURCE);
        w.element("g:Identifier", s.id());
        w.end("b:ReferenceParameters").end("g:SubscriptionManager");
        expiresElement(w, s);
        w.end("g:SubscribeResponse");
        return ew.finish();
    }

    private static String answer(WsmanRequest req, String response, Subscription s) {
        EnvelopeWriter ew = EnvelopeWriter.begin(req, Ns.WSE + "/" + response, Ns.WSE, List.of());
        XmlWriter w = ew.xml();
        w.start("g:" + response);
        expiresElement(w, s);
        w.end("g:" + response);
        return ew.finish();
    }

    private static void expiresElement(XmlWriter w, Subscription s) {
        if (s.expires() != null) {
            long seconds = Math.max(0, Duration.between(Instant.now(), s.expires()).toSeconds());
            w.element("g:Expires", "PT" + seconds + "S");
        }
    }

    /**
     * The subscription a Renew, Unsubscribe or GetStatus names: the wse:Identifier header (the
     * SubscriptionManager's reference parameter), else a selector (clients such as MeshCentral's
     * ExecUnSubscribe send selectors).
     */
    private static String identifier(WsmanRequest req) throws WsmanFault {
        if (req.header() != null) {
            Element id = RequestParser.child(req.header(), Ns.WSE, "Identifier");
            if (id != null && !RequestParser.text(id).isBlank()) {
                return RequestParser.text(id).trim();
            }
        }
        for (Map.Entry<String, Object> selector : req.selectors().entrySet()) {
            if (selector.getValue() instanceof String s && !s.isBlank()) {
                return s.trim();
            }
        }
        throw WsmanFault.headerRequired("Identifier");
    }

    /** The requested lifetime: null for none; a positive xs:duration, else wse:InvalidExpirationTime. */
    static Duration expires(Element expires) throws WsmanFault {
        if (expires == null) {
            return null;
        }
        String text = RequestParser.text(expires).trim();
        if (!text.startsWith("P") && !text.startsWith("-P")) {
            if (!text.isEmpty() && Character.isDigit(text.charAt(0))) {
                throw WsmanFault.eventing("UnsupportedExpirationType", "Expires must be a duration: " + text);
            }
            throw WsmanFault.eventing("InvalidExpirationTime", "Expires is not a duration: " + text);
        }
        try {
            long ms = DURATIONS.newDuration(text).getTimeInMillis(new java.util.Date(0));
            if (ms <= 0) {
                throw WsmanFault.eventing("InvalidExpirationTime", "Expires must be positive: " + text);
            }
            return Duration.ofMillis(ms);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw WsmanFault.eventing("InvalidExpirationTime", "Expires is not a duration: " + text);
        }
    }

    private static List<ReferenceParameter> referenceParameters(Element notifyTo) throws WsmanFault {
        Element set = RequestParser.child(notifyTo, Ns.WSA, "ReferenceParameters");
        List<ReferenceParameter> parameters = new ArrayList<>();
        if (set == null) {
            return parameters;
        }
        for (Element p : RequestParser.children(set)) {
            if (!RequestParser.children(p).isEmpty()) {
                throw WsmanFault.unsupportedFeature("Reference parameters are simple elements.", "AddressingMode");
            }
            if (parameters.size() == MAX_REFERENCE_PARAMETERS) {
                throw WsmanFault.encodingLimit("At most " + MAX_REFERENCE_PARAMETERS + " reference parameters.",
                        "ServiceEnvelopeLimit");
            }
            parameters.add(new ReferenceParameter(p.getNamespaceURI(), p.getLocalName(), RequestParser.text(p)));
        }
        return parameters;
    }

    /** The user and password of an IssuedTokens UsernameToken header (DSP0226 §10.2.4), or null. */
    private static String[] usernameToken(Element header) throws WsmanFault {
        if (header == null) {
            return null;
        }
        Element tokens = RequestParser.child(header, Ns.WST, "IssuedTokens");
        if (tokens == null) {
            return null;
        }
        Element response = RequestParser.child(tokens, Ns.WST, "RequestSecurityTokenResponse");
        Element requested = response == null ? null : RequestParser.child(response, Ns.WST, "RequestedSecurityToken");
        Element token = requested == null ? null : RequestParser.child(requested, Ns.WSS, "UsernameToken");
        Element user = token == null ? null : RequestParser.child(token, Ns.WSS, "Username");
        Element password = token == null ? null : RequestParser.child(token, Ns.WSS, "Password");
        if (user == null || password == null || RequestParser.text(user).isBlank()) {
            throw WsmanFault.invalidParameter("IssuedTokens carries no UsernameToken with Username and Password.");
        }
        return new String[] {RequestParser.text(user).trim(), RequestParser.text(password)};
    }

    private static WsmanFault fault(EventingException e) {
        return switch (e.reason()) {
            case DELIVERY_MODE_UNAVAILABLE -> WsmanFault.eventing("DeliveryModeRequestedUnavailable", e.getMessage());
            case INVALID_EXPIRATION_TIME -> WsmanFault.eventing("InvalidExpirationTime", e.getMessage());
            case UNABLE_TO_RENEW -> WsmanFault.eventing("UnableToRenew", e.getMessage());
            case UNKNOWN_SUBSCRIPTION -> WsmanFault.destinationUnreachable(e.getMessage(), null);
            case LIMIT_REACHED -> WsmanFault.eventing("EventSourceUnableToProcess", e.getMessage());
            case UNKNOWN_FILTER -> WsmanFault.eventing("FilteringRequestedUnavailable", e.getMessage());
            case INVALID_PARAMETER -> WsmanFault.invalidParameter(e.getMessage());
            case ACCESS_DENIED -> WsmanFault.accessDenied(e.getMessage());
            case FAILED -> WsmanFault.internalError(e.getMessage());
        };
    }

    private static DatatypeFactory durations() {
        try {
            return DatatypeFactory.newInstance();
        } catch (DatatypeConfigurationException e) {
            throw new IllegalStateException("the JDK has no XML datatype factory", e);
        }
    }
}
