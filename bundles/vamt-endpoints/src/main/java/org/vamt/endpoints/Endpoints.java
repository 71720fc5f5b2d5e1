package org.vamt.endpoints;

import java.util.List;
import java.util.Optional;

/**
 * The live map of VM endpoints: for the shell, the redirection listener, the web UI and any
 * other transport that must find a VM's endpoint. Identities are kept in Config Admin (factory
 * PID {@code org.vamt.endpoint}) and follow the hypervisor's define, undefine and rename events.
 */
public interface Endpoints {

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
     * The address pool (strategy address with {@code addressPool} set): the addresses that are not
     * free, and the VMs the pool had no address for.
     *
     * @param pool             the pool as configured
     * @param networkInterface where its addresses are added
     * @param size             how many addresses it holds
     * @param taken            its addresses that VMs hold or that other hosts use, in pool order
     * @param withoutEndpoint  names of VMs that got no address (pool exhausted, or the host refused)
     */
    record AddressPoolState(String pool, String networkInterface, int size, List<PoolAddress> taken,
                            List<String> withoutEndpoint) {
    }

    /**
     * One address of the pool that is not free.
     *
     * @param address     the address
     * @param vm          the VM holding it, or null
     * @param onInterface whether vAMT added it to the interface (false: it was there already)
     * @param inUseOnLan  another host answered the ARP probe for it: skipped, never taken
     */
    record PoolAddress(String address, String vm, boolean onInterface, boolean inUseOnLan) {
    }

    /** The address pool's state; empty without a pool. */
    default java.util.Optional<AddressPoolState> addressPool() {
        return java.util.Optional.empty();
    }

    /** The endpoint of the VM with this UUID (any case), if it has one. */
    default Optional<Endpoint> endpoint(String uuid) {
        return endpoints().stream().filter(e -> e.uuid().equalsIgnoreCase(uuid)).findFirst();
    }

    /**
     * The endpoint a connection reached: by the local address it arrived at (strategy address),
     * its local port (port) or the host name it asked for (host); empty when no VM answers there.
     */
    Optional<Endpoint> route(String localAddress, int localPort, boolean secure, String hostHeader);

    /**
     * Moves a VM's endpoint, kept across restarts: to another IPv4 address (strategy address),
     * port (strategy port) or host name (strategy host).
     *
     * @throws IllegalArgumentException when the target is not valid for the strategy, belongs to
     *                                  another VM, or the VM has no endpoint
     */
    Endpoint move(String uuid, String target);
}
