/**
 * Durable, owner-only files: the one way vAMT replaces a file it keeps (users, endpoint map,
 * audit records, TLS keystore, keys), so a crash or power loss leaves the old or the new content,
 * never a torn or empty file, and no other local user can read it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.security.files;
