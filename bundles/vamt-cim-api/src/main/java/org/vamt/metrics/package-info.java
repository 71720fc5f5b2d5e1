/**
 * vAMT's own narrow view of a metrics registry. Instrumented bundles depend on this package only
 * (it is in every vAMT installation), never on Micrometer: the {@code vamt-metrics} bundle implements
 * it on Micrometer's Prometheus registry and may be installed, upgraded or removed without refreshing them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.metrics;
