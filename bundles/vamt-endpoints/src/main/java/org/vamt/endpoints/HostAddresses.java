package org.vamt.endpoints;

import java.util.Map;

/**
 * Puts endpoint addresses on one of the host's network interfaces, for the endpoint manager's
 * address pool (strategy {@code address} with {@code addressPool} set): before an address is
 * given to a VM it is probed on the LAN and, when nobody answers, added to the interface and
 * announced; when the VM goes away it is taken off again. Implemented by bundle
 * {@code vamt-address-pool}; the endpoint manager decides which VM gets which address, this
 * service only whether an address can be had and what the host holds.
 */
public interface HostAddresses {

    /** What a claim found. */
    enum Claim {
        /** The address is on the interface now (added and announced, or held already). */
        HELD,
        /** The address was on this host already and is not the service's: usable, never removed by it. */
        ALREADY_LOCAL,
        /** Another host on the LAN answered for it: left alone, never taken. */
        IN_USE
    }

    /**
     * Makes {@code address} this host's on {@code networkInterface}: probes it on the LAN (ARP,
     * RFC 5227), adds it when nobody answers and announces it (gratuitous ARP). Blocks for the
     * probe (about two seconds).
     *
     * @throws IllegalStateException when the host cannot do it (no such interface, no capability
     *                               CAP_NET_ADMIN/CAP_NET_RAW, missing ip/arping); the message says
     *                               which and how to fix it
     */
    Claim claim(String networkInterface, String address);

    /** Takes {@code address} off its interface, if this service put it there; otherwise nothing. */
    void release(String address);

    /** The addresses this service holds now, each with its interface. */
    Map<String, String> held();
}
