package org.vamt.wsman.eventing;

import java.time.Duration;
import org.vamt.cim.spi.RequestContext;

/**
 * The subscriptions of every VM (a service; at most one). Calls come from WS-Management requests
 * already authenticated for {@code ctx}; the implementation holds the user to AMT's Event Manager
 * realm. Subscription identifiers are opaque strings the implementation makes.
 */
public interface EventSubscriptions {

    Subscription subscribe(RequestContext ctx, SubscribeRequest request) throws EventingException;

    /** A new expiry for a subscription of this VM: {@code expires} null = never. */
    Subscription renew(RequestContext ctx, String id, Duration expires) throws EventingException;

    void unsubscribe(RequestContext ctx, String id) throws EventingException;

    Subscription status(RequestContext ctx, String id) throws EventingException;
}
