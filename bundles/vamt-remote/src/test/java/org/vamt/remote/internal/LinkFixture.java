package org.vamt.remote.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.endpoint.Server;
import org.apache.cxf.jaxrs.JAXRSServerFactoryBean;
import org.apache.cxf.jaxrs.client.JAXRSClientFactoryBean;
import org.apache.cxf.jaxrs.lifecycle.SingletonResourceProvider;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.NodeLink;
import org.vamt.remote.internal.link.PeerRole;
import org.vamt.remote.internal.link.TestLinkCa;

/**
 * The link as CXF DOSGi provider-rs builds it, without OSGi: a node's JAX-RS server and gateways'
 * JAX-RS clients of {@link NodeLink}, each with the {@link MutualTlsIntent} feature, over real HTTPS
 * on loopback with certificates of a test site CA.
 */
final class LinkFixture implements AutoCloseable {
    final Path dir;
    final TestLinkCa site;
    private final List<AutoCloseable> open = new ArrayList<>();

    LinkFixture(Path dir) throws Exception {
        this.dir = dir;
        this.site = new TestLinkCa("site");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A peer's link intent: {@code id}'s certificate from {@code ca} in {@code role}, serving on {@code port}.
     * Connecting includes the TLS handshake, whose first run (cold crypto code) takes long on a busy machine.
     */
    MutualTlsIntent peer(TestLinkCa ca, String id, PeerRole role, int port, int callTimeoutMillis) throws Exception {
        return peer(ca, id, role, port, 2_000, callTimeoutMillis);
    }

    MutualTlsIntent peer(TestLinkCa ca, String id, PeerRole role, int port, int connectTimeoutMillis,
            int callTimeoutMillis) throws Exception {
        return new MutualTlsIntent(ca.issue(dir.resolve(id + "-" + System.nanoTime()), id, role), "127.0.0.1", "",
                port, connectTimeoutMillis, callTimeoutMillis);
    }

    /** A node serving {@code node} on a free port with a node's certificate, as provider-rs exports it. */
    Served serve(NodeLink node, String nodeId) throws Exception {
        return serve(node, nodeId, PeerRole.NODE);
    }

    /** A node serving {@code node} with a certificate of {@code role}; closed with the fixture. */
    Served serve(NodeLink node, String nodeId, PeerRole role) throws Exception {
        MutualTlsIntent tls = peer(site, nodeId, role, freePort(), 3000);
        AutoCloseable listener = tls.listen();
        JAXRSServerFactoryBean factory = new JAXRSServerFactoryBean();
        Bus bus = BusFactory.newInstance().createBus();
        factory.setBus(bus);
        factory.setServiceClass(NodeLink.class);
        factory.setResourceProvider(NodeLink.class, new SingletonResourceProvider(node));
        String address = tls.nodeAddress(nodeId);
        factory.setAddress(address);
        factory.setFeatures(List.of(tls));
        Server server = factory.create();
        Served served = new Served(address, server, listener, bus);
        open.add(served);
        return served;
    }

    record Served(String address, Server server, AutoCloseable listener, Bus bus) implements AutoCloseable {
        int port() {
            return java.net.URI.create(address).getPort();
        }

        @Override
        public void close() throws Exception {
            server.destroy();
            listener.close();
            bus.shutdown(true);
        }
    }

    /** A gateway's client of the node at {@code address}, as provider-rs imports it. */
    static NodeHypervisor client(MutualTlsIntent gateway, String address, String nodeId) {
        return LinkedNode.of(link(gateway, address), nodeId);
    }

    static NodeLink link(MutualTlsIntent gateway, String address) {
        JAXRSClientFactoryBean factory = new JAXRSClientFactoryBean();
        factory.setAddress(address);
        factory.setServiceClass(NodeLink.class);
        factory.setFeatures(List.of(gateway));
        return factory.create(NodeLink.class);
    }

    /** A gateway of the site CA (a gateway's certificate). */
    NodeHypervisor gateway(String address, String nodeId, int callTimeoutMillis) throws Exception {
        return client(peer(site, "gateway", PeerRole.GATEWAY, freePort(), callTimeoutMillis), address, nodeId);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }
}
