/** Who may use vAMT: users, AMT realms, per-VM grants, and the audit trail of what they did. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.vamt.accounts;
