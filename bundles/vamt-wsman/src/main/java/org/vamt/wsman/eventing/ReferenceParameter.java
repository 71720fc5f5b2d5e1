package org.vamt.wsman.eventing;

import java.util.Objects;

/**
 * One element of the NotifyTo's ReferenceParameters, sent back as a header with every event so the
 * subscriber can tell its subscriptions apart (MeshCentral's opaque {@code <m:arg>}). Simple
 * elements only: a namespace, a local name and text.
 */
public record ReferenceParameter(String namespace, String localName, String text) {
    public ReferenceParameter {
        Objects.requireNonNull(localName, "localName");
        namespace = namespace == null ? "" : namespace;
        text = text == null ? "" : text;
    }
}
