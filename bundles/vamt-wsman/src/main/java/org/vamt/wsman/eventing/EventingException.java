package org.vamt.wsman.eventing;

/** Why a subscription operation was refused; vamt-wsman turns the reason into the WS-Eventing fault. */
public final class EventingException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** wse:DeliveryModeRequestedUnavailable */
        DELIVERY_MODE_UNAVAILABLE,
        /** wse:InvalidExpirationTime: zero, negative or not a duration */
        INVALID_EXPIRATION_TIME,
        /** wse:UnableToRenew: the subscription is gone or expired */
        UNABLE_TO_RENEW,
        /** wsa:DestinationUnreachable: no such subscription on this VM */
        UNKNOWN_SUBSCRIPTION,
        /** wse:EventSourceUnableToProcess: the VM has as many subscriptions as it takes */
        LIMIT_REACHED,
        /** wse:FilteringRequestedUnavailable: a filter this VM does not offer */
        UNKNOWN_FILTER,
        /** wsman:InvalidParameter: a NotifyTo that is not an http(s) address, credentials that make no sense */
        INVALID_PARAMETER,
        /** wsman:AccessDenied: the user does not hold the Event Manager realm */
        ACCESS_DENIED,
        /** wsman:InternalError: the subscriptions could not be read or stored */
        FAILED
    }

    private final Reason reason;

    public EventingException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public EventingException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
