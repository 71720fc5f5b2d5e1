package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The VNC address in live domain XML as libvirt writes it. */
class VncDisplayTest {

    private static String domain(String graphics) {
        return "<domain type='qemu'><name>d</name><devices><serial type='pty'/>" + graphics + "</devices></domain>";
    }

    @Test
    void portAndListenAddressOfARunningDomain() throws Exception {
        assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 5901)), VncDisplay.of(domain(
                "<graphics type='vnc' port='5901' autoport='yes' listen='127.0.0.1'>"
                        + "<listen type='address' address='127.0.0.1'/></graphics>")));
    }

    @Test
    void aWildcardListenMeansLoopback() throws Exception {
        assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 5900)), VncDisplay.of(domain(
                "<graphics type='vnc' port='5900' listen='0.0.0.0'/>")));
    }

    @Test
    void noVncOrNoPortYetIsEmpty() throws Exception {
        assertEquals(Optional.empty(), VncDisplay.of(domain("<graphics type='spice' port='5930'/>")));
        assertEquals(Optional.empty(), VncDisplay.of(domain("<graphics type='vnc' port='-1' autoport='yes'/>")));
        assertEquals(Optional.empty(), VncDisplay.of(domain("")));
    }
}
