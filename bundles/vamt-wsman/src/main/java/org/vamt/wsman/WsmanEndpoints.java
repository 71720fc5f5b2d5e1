package org.vamt.wsman;

import java.util.List;

/** The live map of VM endpoints, for the shell and other administration tools. */
public interface WsmanEndpoints {

    /**
     * One VM's endpoint.
     *
     * @param uuid     the VM's UUID
     * @param name     the VM's name
     * @param address  the IPv4 address its endpoint answers on
     * @param port     its WS-Management HTTP port (TLS: the configured TLS port, or the next port
     *                 with the port-per-VM strategy)
     * @param hostName its host name (what the {@code Host} header says with the host strategy)
     * @param realm    the HTTP Digest realm of the endpoint
     * @param url      where a console reaches it
     */
    record Endpoint(String uuid, String name, String address, int port, String hostName, String realm, String url) {
    }

    List<Endpoint> endpoints();

    /**
     * Moves a VM's endpoint, kept across restarts: to another IPv4 address (strategy address),
     * port (strategy port) or host name (strategy host).
     *
     * @throws IllegalArgumentException when the target is not valid for the strategy, belongs to
     *                                  another VM, or the VM has no endpoint
     */
    Endpoint move(String uuid, String target);
}
