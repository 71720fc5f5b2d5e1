/**
 * Secrets at rest: sealing (AES-256-GCM) for what must be read back, with a key kept in its own
 * owner-only file, never beside the sealed data. The one implementation in vAMT.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.vamt.security.seal;
