/** Scale-out: a node's hypervisor as a remote service, and what the gateway knows about its nodes. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.remote;
