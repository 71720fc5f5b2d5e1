package org.vamt.wsman.internal;

import org.vamt.cim.CimException;
import org.vamt.cim.InvalidKeyException;

/**
 * A DSP0226 fault. Every WS-Management fault goes out with HTTP 400, as real AMT does: MeshCentral,
 * MeshCommander and Intel's toolkit all treat 400 as "not supported here" and anything else as a
 * broken device.
 */
final class WsmanFault extends Exception {
    private static final long serialVersionUID = 1L;

    enum Code { SENDER, RECEIVER, MUST_UNDERSTAND, VERSION_MISMATCH }

    private final Code code;
    private final String subcodeNs;
    private final String subcode;
    private final String action;
    private final String detail;

    WsmanFault(Code code, String subcodeNs, String subcode, String action, String reason, String detail) {
        super(reason);
        this.code = code;
        this.subcodeNs = subcodeNs;
        this.subcode = subcode;
        this.action = action;
        this.detail = detail;
    }

    Code code() {
        return code;
    }

    String subcodeNs() {
        return subcodeNs;
    }

    String subcode() {
        return subcode;
    }

    String action() {
        return action;
    }

    /**
     * Our own diagnosis: a DSP0226 faultDetail URI or free text; may be null. Real AMT sends an
     * empty Detail, so this is only logged and asserted on in tests, never sent.
     */
    String detail() {
        return detail;
    }

    /**
     * The Reason text real AMT sends for this subcode: DSP0226's wording for the fault (as in
     * captured AMT answers, e.g. DestinationUnreachable, AlreadyExists), whatever our own
     * diagnosis ({@link #getMessage()}, logged at debug) says.
     */
    String amtReason() {
        if (subcode == null) {
            return code == Code.VERSION_MISMATCH ? "The SOAP version of the message is not supported."
                    : code == Code.MUST_UNDERSTAND ? "A header marked mustUnderstand was not understood."
                    : "The message could not be processed.";
        }
        return switch (subcode) {
            case "DestinationUnreachable" ->
                    "No route can be determined to reach the destination role defined by the WSAddressing To.";
            case "ActionNotSupported" -> "The action is not supported by the service.";
            case "MessageInformationHeaderRequired" -> "A required header property is missing.";
            case "InvalidMessageInformationHeader" ->
                    "A message information header is not valid and the message cannot be processed.";
            case "EndpointUnavailable" -> "The specified endpoint is currently unavailable.";
            case "InvalidSelectors" -> "The Selectors for the resource are not valid.";
            case "InvalidParameter" -> "An operation parameter is not valid.";
            case "SchemaValidationError" -> "The supplied SOAP violates the corresponding XML Schema definition.";
            case "EncodingLimit" -> "An internal encoding limit was exceeded in a request or would be violated if"
                    + " the message were processed.";
            case "UnsupportedFeature" -> "The specified feature is not supported.";
            case "QuotaLimit" -> "The service is busy servicing other requests.";
            case "AccessDenied" -> "The sender was not authorized to access the resource.";
            case "AlreadyExists" -> "The sender attempted to create a resource which already exists.";
            case "TimedOut" -> "The operation has timed out.";
            case "InternalError" -> "The service cannot comply with the request due to internal processing errors.";
            case "InvalidRepresentation" -> "The XML content is invalid.";
            case "InvalidEnumerationContext" -> "The supplied enumeration context is invalid.";
            case "CannotProcessFilter" -> "The requested filter could not be processed.";
            case "FilterDialectRequestedUnavailable" -> "The requested filtering dialect is not supported.";
            case "DeliveryModeRequestedUnavailable" -> "The requested delivery mode is not supported.";
            case "InvalidExpirationTime" -> "The expiration time requested is invalid.";
            case "UnsupportedExpirationType" -> "Only expiration durations are supported.";
            case "UnableToRenew" -> "The subscription could not be renewed.";
            case "EventSourceUnableToProcess" -> "The event source cannot process the subscription.";
            case "FilteringRequestedUnavailable" -> "The requested filter is not available.";
            case "FilteringNotSupported" -> "Filtering over the event source is not supported.";
            default -> "The request could not be processed.";
        };
    }

    private static final String WSA_FAULT = Ns.WSA + "/fault";
    private static final String WSMAN_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
    private static final String WSEN_FAULT = Ns.WSEN + "/fault";

    static WsmanFault destinationUnreachable(String reason, String detail) {
        return new WsmanFault(Code.SENDER, Ns.WSA, "DestinationUnreachable", WSA_FAULT, reason, detail);
    }

    static WsmanFault invalidResourceUri(String resourceUri) {
        return destinationUnreachable("The resource URI is not supported: " + resourceUri,
                Ns.FAULT_DETAIL + "InvalidResourceURI");
    }

    static WsmanFault actionNotSupported(String action) {
        return new WsmanFault(Code.SENDER, Ns.WSA, "ActionNotSupported", WSA_FAULT,
                "The action is not supported by the service.", action);
    }

    static WsmanFault headerRequired(String header) {
        return new WsmanFault(Code.SENDER, Ns.WSA, "MessageInformationHeaderRequired", WSA_FAULT,
                "A required header property is missing: " + header, null);
    }

    static WsmanFault invalidHeader(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSA, "InvalidMessageInformationHeader", WSA_FAULT, reason, null);
    }

    static WsmanFault invalidSelectors(String reason, String detail) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "InvalidSelectors", WSMAN_FAULT, reason,
                Ns.FAULT_DETAIL + detail);
    }

    static WsmanFault invalidParameter(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "InvalidParameter", WSMAN_FAULT, reason, null);
    }

    static WsmanFault schemaValidation(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "SchemaValidationError", WSMAN_FAULT, reason, null);
    }

    static WsmanFault encodingLimit(String reason, String detail) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "EncodingLimit", WSMAN_FAULT, reason, Ns.FAULT_DETAIL + detail);
    }

    static WsmanFault unsupportedFeature(String reason, String detail) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "UnsupportedFeature", WSMAN_FAULT, reason,
                detail == null ? null : Ns.FAULT_DETAIL + detail);
    }

    static WsmanFault quotaLimit(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "QuotaLimit", WSMAN_FAULT, reason, null);
    }

    static WsmanFault accessDenied(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSMAN, "AccessDenied", WSMAN_FAULT, reason, null);
    }

    /** The operation did not finish within its OperationTimeout (DSP0226 wsman:TimedOut). */
    static WsmanFault timedOut(String reason) {
        return new WsmanFault(Code.RECEIVER, Ns.WSMAN, "TimedOut", WSMAN_FAULT, reason, null);
    }

    static WsmanFault internalError(String reason) {
        return new WsmanFault(Code.RECEIVER, Ns.WSMAN, "InternalError", WSMAN_FAULT, reason, null);
    }

    static WsmanFault endpointUnavailable(String reason) {
        return new WsmanFault(Code.RECEIVER, Ns.WSA, "EndpointUnavailable", WSA_FAULT, reason, null);
    }

    static WsmanFault invalidEnumerationContext() {
        return new WsmanFault(Code.RECEIVER, Ns.WSEN, "InvalidEnumerationContext", WSEN_FAULT,
                "The supplied enumeration context is invalid.", null);
    }

    static WsmanFault cannotProcessFilter(String reason) {
        return new WsmanFault(Code.SENDER, Ns.WSEN, "CannotProcessFilter", WSEN_FAULT, reason, null);
    }

    /** An Enumerate filter in a dialect we do not implement (DSP0226 §8.2). */
    static WsmanFault filterDialectRequestedUnavailable(String dialect) {
        return new WsmanFault(Code.SENDER, Ns.WSEN, "FilterDialectRequestedUnavailable", WSEN_FAULT,
                "The filter dialect '" + dialect + "' is not supported; use " + Ns.ASSOCIATION_FILTER + " or "
                        + Ns.SELECTOR_FILTER + ".", null);
    }

    /** A WS-Eventing fault (wse: subcode, WS-Addressing's fault action as WS-Eventing 2004/08 uses). */
    static WsmanFault eventing(String subcode, String reason) {
        return new WsmanFault(subcode.equals("EventSourceUnableToProcess") ? Code.RECEIVER : Code.SENDER, Ns.WSE,
                subcode, WSA_FAULT, reason, null);
    }

    static WsmanFault mustUnderstand(String header) {
        return new WsmanFault(Code.MUST_UNDERSTAND, null, null, WSA_FAULT,
                "Header not understood: " + header, null);
    }

    static WsmanFault versionMismatch() {
        return new WsmanFault(Code.VERSION_MISMATCH, null, null, WSA_FAULT,
                "Only SOAP 1.2 envelopes are accepted on /wsman.", null);
    }

    static WsmanFault malformed(String reason) {
        return new WsmanFault(Code.SENDER, null, null, WSA_FAULT, reason, null);
    }

    /** The DSP0227 mapping of a CIM error to a WS-Management fault. */
    static WsmanFault fromCim(CimException e, String action) {
        String msg = e.getMessage() == null ? e.status().name() : e.getMessage();
        if (e instanceof InvalidKeyException k) {
            return invalidSelectors(msg, switch (k.problem()) {
                case UNEXPECTED_SELECTORS -> "UnexpectedSelectors";
                case INSUFFICIENT_SELECTORS -> "InsufficientSelectors";
                case TYPE_MISMATCH -> "TypeMismatch";
                case INVALID_VALUE -> "InvalidValue";
            });
        }
        return switch (e.status()) {
            case INVALID_CLASS -> destinationUnreachable(msg, Ns.FAULT_DETAIL + "InvalidResourceURI");
            case NOT_FOUND -> destinationUnreachable(msg, null);
            case INVALID_PARAMETER, TYPE_MISMATCH, NO_SUCH_PROPERTY -> invalidParameter(msg);
            case NOT_SUPPORTED, METHOD_NOT_AVAILABLE, METHOD_NOT_FOUND -> new WsmanFault(Code.SENDER, Ns.WSA,
                    "ActionNotSupported", WSA_FAULT, "The action is not supported: " + msg, action);
            case ACCESS_DENIED -> accessDenied(msg);
            case ALREADY_EXISTS -> new WsmanFault(Code.SENDER, Ns.WSMAN, "AlreadyExists", WSMAN_FAULT, msg, null);
            case SERVER_LIMITS_EXCEEDED -> quotaLimit(msg);
            case UNAVAILABLE, SERVER_IS_SHUTTING_DOWN -> endpointUnavailable(msg);
            default -> internalError(msg);
        };
    }
}
