package org.vamt.eventing.internal;

import java.time.Instant;
import java.util.List;
import org.vamt.wsman.eventing.DeliveryMode;
import org.vamt.wsman.eventing.ReferenceParameter;

/**
 * One subscription as it is kept with the VM.
 *
 * @param id                  the identifier its subscriber names it by
 * @param resourceUri         the ResourceURI of the Subscribe
 * @param filterName          the indication filter it asked for (AMT's AllEvents when it named none)
 * @param mode                the delivery mode
 * @param notifyTo            where events go
 * @param referenceParameters echoed as headers with every event
 * @param user                the subscriber's Digest user, or null
 * @param sealedPassword      that user's password sealed ({@link SubscriberSeal}), never in clear; or null
 * @param expiresAtMillis     epoch milliseconds it ends at, or null for never
 * @param subscribedBy        the vAMT user who subscribed
 */
public record StoredSubscription(String id, String resourceUri, String filterName, DeliveryMode mode, String notifyTo,
                                 List<ReferenceParameter> referenceParameters, String user, String sealedPassword,
                                 Long expiresAtMillis, String subscribedBy) {
    public StoredSubscription {
        referenceParameters = List.copyOf(referenceParameters == null ? List.of() : referenceParameters);
    }

    boolean expiredAt(long nowMillis) {
        return expiresAtMillis != null && expiresAtMillis <= nowMillis;
    }

    Instant expires() {
        return expiresAtMillis == null ? null : Instant.ofEpochMilli(expiresAtMillis);
    }

    StoredSubscription expiringAt(Long millis) {
        return new StoredSubscription(id, resourceUri, filterName, mode, notifyTo, referenceParameters, user,
                sealedPassword, millis, subscribedBy);
    }
}
