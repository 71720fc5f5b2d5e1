/**
 * Where each VM's AMT endpoint is (identity, realm, address, port, host name) and how requests
 * reach it: transports (the HTTP listeners today, CIRA tunnels through {@link org.vamt.endpoints.TunnelDoor}) deliver requests for
 * the paths that protocol handlers register ({@link org.vamt.endpoints.EndpointPathHandler}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.4.0")
package org.vamt.endpoints;
