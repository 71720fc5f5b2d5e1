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

    /** A fault detail: a faultDetail URI or free text; may be null. */
    String detail() {
        return detail;
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
