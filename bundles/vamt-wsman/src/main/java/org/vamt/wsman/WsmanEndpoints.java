package org.vamt.wsman;

import java.util.List;

/** The live map of VM endpoints, for the shell and other administration tools. */
public interface WsmanEndpoints {

    /**
     * One VM's endpoint.
     *
     * @param uuid    the VM's UUID
     * @param name    the VM's name
     * @param address the IP address its endpoint answers on
     * @param port    the WS-Management HTTP port
     * @param realm   the HTTP Digest realm of the endpoint
     */
    record Endpoint(String uuid, String name, String address, int port, String realm) {
        public String url() {
            return "http://" + address + ":" + port + "/wsman";
        }
    }

    List<Endpoint> endpoints();

    /**
     * Moves a VM's endpoint to another IPv4 address, kept across restarts.
     *
     * @throws IllegalArgumentException when the address is not IPv4, belongs to another VM, or
     *                                  the VM has no endpoint
     */
    Endpoint move(String uuid, String address);
}
