/**
 * Escaping text into XML 1.0 and HTML: the one place in vAMT that knows which characters a
 * document may carry as they are. WS-Management replies, SOAP faults, domain metadata, the web
 * pages and the shell's requests all write through it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.vamt.markup;
