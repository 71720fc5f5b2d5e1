/**
 * WS-Eventing behind {@code /wsman}: vamt-wsman parses Subscribe, Renew, Unsubscribe and GetStatus
 * and writes the answers and faults; an {@link org.vamt.wsman.eventing.EventSubscriptions} service
 * (vamt-eventing) keeps the subscriptions and delivers the events. Without one, the actions fault
 * as unsupported, as before.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.wsman.eventing;
