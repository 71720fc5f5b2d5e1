/**
 * What the redirection provider offers other bundles: the user consent codes waiting for an
 * operator (there is no local user in front of a VM to read them off a screen).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.provider.redirection;
