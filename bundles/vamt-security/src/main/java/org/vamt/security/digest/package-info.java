/**
 * HTTP Digest (RFC 2617, MD5) as AMT speaks it, shared by the server side and every client of
 * vAMT (shell, benchmarks, tests): the hash arithmetic lives here once.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.security.digest;
