/**
 * Typed per-VM state: each bundle owns a namespace and a typed value, stored as JSON with the
 * machine and written with optimistic concurrency on a generation number.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.vamt.hypervisor.state;
