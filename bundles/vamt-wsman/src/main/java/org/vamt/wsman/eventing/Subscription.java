package org.vamt.wsman.eventing;

import java.time.Instant;
import java.util.Objects;

/**
 * A subscription as its subscriber sees it.
 *
 * @param id      the identifier the subscriber names it by (Renew, Unsubscribe, GetStatus)
 * @param expires when it ends; null when it never does
 */
public record Subscription(String id, Instant expires) {
    public Subscription {
        Objects.requireNonNull(id, "id");
    }
}
