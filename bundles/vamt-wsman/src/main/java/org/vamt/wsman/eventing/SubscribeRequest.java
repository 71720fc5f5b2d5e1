package org.vamt.wsman.eventing;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A parsed WS-Eventing Subscribe.
 *
 * @param resourceUri         the ResourceURI subscribed to (a class or {@code …/wscim/1/*})
 * @param filterName          the indication filter named by the {@code Name} selector, or null (AMT's AllEvents)
 * @param mode                how events are pushed
 * @param notifyTo            the subscriber's HTTP(S) address
 * @param referenceParameters echoed as headers with each event
 * @param user                the subscriber's Digest user (wsman:Auth with the Digest profile and an
 *                            IssuedTokens UsernameToken), or null for none
 * @param password            that user's password, or null
 * @param expires             how long the subscription lasts; null = until unsubscribed
 */
public record SubscribeRequest(String resourceUri, String filterName, DeliveryMode mode, String notifyTo,
                               List<ReferenceParameter> referenceParameters, String user, String password,
                               Duration expires) {
    public SubscribeRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(notifyTo, "notifyTo");
        referenceParameters = List.copyOf(referenceParameters == null ? List.of() : referenceParameters);
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "SubscribeRequest[" + resourceUri + ", filter " + filterName + ", " + mode + " to " + notifyTo
                + (user == null ? "" : " as " + user) + ", expires " + expires + "]";
    }
}
