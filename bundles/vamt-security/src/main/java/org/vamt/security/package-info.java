/**
 * Who may do what, for every front end: AMT realms, the audit trail of what users did, and the
 * security service (Digest, lockout, realm decisions) that WS-Management, legacy SOAP,
 * redirection and the web UI all use.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package org.vamt.security;
