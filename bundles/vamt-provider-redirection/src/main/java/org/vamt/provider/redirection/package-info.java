/**
 * What the redirection provider offers other bundles: the user consent codes waiting for an
 * operator (there is no local user in front of a VM to read them off a screen), and each VM's
 * redirection state ({@link org.vamt.provider.redirection.RedirectionSettings}), which this bundle
 * alone writes and the redirection listener reads.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package org.vamt.provider.redirection;
