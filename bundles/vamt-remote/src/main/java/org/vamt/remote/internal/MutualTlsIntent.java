package org.vamt.remote.internal;

import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.configuration.jsse.TLSClientParameters;
import org.apache.cxf.configuration.jsse.TLSServerParameters;
import org.apache.cxf.configuration.security.ClientAuthentication;
import org.apache.cxf.endpoint.Server;
import org.apache.cxf.endpoint.Client;
import org.apache.cxf.feature.Feature;
import org.apache.cxf.interceptor.Fault;
import org.apache.cxf.interceptor.InterceptorProvider;
import org.apache.cxf.interceptor.MessageSenderInterceptor;
import org.apache.cxf.logging.FaultListener;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;
import org.apache.cxf.transport.Conduit;
import org.apache.cxf.transport.http.HTTPConduit;
import org.apache.cxf.transport.http_jetty.JettyHTTPDestination;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngine;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngineFactory;
import org.apache.cxf.transports.http.configuration.HTTPClientPolicy;
import org.vamt.remote.internal.link.LinkTls;

/**
 * The link's mutual TLS as a CXF DOSGi intent ({@value #NAME}): a CXF feature that provider-rs
 * applies to the node's JAX-RS server (export) and to every gateway's client of it (import).
 *
 * <ul>
 * <li>Server: the node's Jetty engine for its port is made beforehand ({@link #listen()}) with this
 *     peer's key, the site CA as the only trust anchor and client certificates REQUIRED; the feature
 *     refuses to let an endpoint start anywhere else (plain HTTP, or an engine without that).</li>
 * <li>Client: only {@code https://…/vamt/node/<id>} addresses; the conduit gets this peer's key and
 *     a trust manager that accepts only the site CA's chains naming {@code <id>} as CN, so an
 *     announcement cannot send a gateway to another peer than the node it claims to be.</li>
 * <li>Roles (LinkTls's trust manager, under both): the server accepts only a gateway's certificate
 *     (clientAuth), the client only a node's (serverAuth), so a node's key calls no other node.</li>
 * </ul>
 */
public final class MutualTlsIntent implements Feature {
    static final String NAME = "vamt.mtls";
    /** CXF DOSGi's service property naming an intent service. */
    static final String INTENT_PROPERTY = "org.apache.cxf.dosgi.IntentName";
    static final String CONFIG_TYPE = "org.apache.cxf.rs";
    static final String ADDRESS_PROPERTY = "org.apache.cxf.rs.address";
    static final String PATH = "/vamt/node/";

    private final LinkTls tls;
    private final String bindAddress;
    private final String advertisedAddress;
    private final int port;
    private final int consolePort;
    private final int connectTimeoutMillis;
    private final int callTimeoutMillis;
    private final TLSServerParameters serverParameters;

    MutualTlsIntent(LinkTls tls, String bindAddress, String advertisedAddress, int port, int connectTimeoutMillis,
                    int callTimeoutMillis) {
        this(tls, bindAddress, advertisedAddress, port, 0, connectTimeoutMillis, callTimeoutMillis);
    }

    MutualTlsIntent(LinkTls tls, String bindAddress, String advertisedAddress, int port, int consolePort,
                    int connectTimeoutMillis, int callTimeoutMillis) {
        this.tls = tls;
        this.bindAddress = bindAddress.trim();
        this.advertisedAddress = advertisedAddress == null || advertisedAddress.isBlank() ? this.bindAddress
                : advertisedAddress.trim();
        this.port = port;
        this.consolePort = consolePort > 0 ? consolePort : port + 1;
        this.connectTimeoutMillis = Math.max(100, connectTimeoutMillis);
        this.callTimeoutMillis = Math.max(100, callTimeoutMillis);
        this.serverParameters = serverParameters(tls);
    }

    /** This peer's link material (the console link uses the same). */
    LinkTls tls() {
        return tls;
    }

    /** The management address a node listens on (link and console link). */
    String bindAddress() {
        return bindAddress;
    }

    /** The address gateways are told to connect to. */
    String advertisedAddress() {
        return advertisedAddress;
    }

    /** The console link's port: {@code consolePort}, or the link port + 1. */
    int consolePort() {
        return consolePort;
    }

    /** Longest wait for a node's answer: a held call must be answered before it. */
    int callTimeoutMillis() {
        return callTimeoutMillis;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** This node's link address as gateways are told it. */
    String nodeAddress(String nodeId) {
        String host = advertisedAddress.contains(":") ? "[" + advertisedAddress + "]" : advertisedAddress;
        return "https://" + host + ":" + port + PATH + nodeId;
    }

    static TLSServerParameters serverParameters(LinkTls tls) {
        TLSServerParameters p = new TLSServerParameters();
        p.setSecureSocketProtocol("TLSv1.3");
        p.setIncludeProtocols(LinkTls.PROTOCOLS);
        p.setKeyManagers(tls.keyManagers());
        p.setTrustManagers(tls.trustManagers());
        ClientAuthentication required = new ClientAuthentication();
        required.setRequired(true);
        required.setWant(true);
        p.setClientAuthentication(required);
        // gateways call a node by its management address; the peer checks are the certificates'
        p.setSniHostCheck(false);
        return p;
    }

    /**
     * Makes this node's HTTPS engine on (bindAddress, port) before provider-rs creates the endpoint,
     * which then finds it by port (CXF keeps engines per port). Closing frees the port.
     */
    AutoCloseable listen() throws Exception {
        InetAddress address = InetAddress.getByName(bindAddress);
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("refusing to serve the vAMT link on the wildcard address "
                    + bindAddress + ": set bindAddress in " + LinkTransport.PID + " to the management address");
        }
        Bus bus = BusFactory.newInstance().createBus();
        try {
            JettyHTTPServerEngineFactory engines = new OwnPortEngines(bus);
            engines.setTLSServerParametersForPort(bindAddress, port, serverParameters);
            JettyHTTPServerEngine engine = engines.retrieveJettyHTTPServerEngine(port);
            engine.setSendServerVersion(false);
        } catch (Exception e) {
            JettyHTTPServerEngineFactory.destroyForPort(port);
            bus.shutdown(true);
            throw e;
        }
        return () -> {
            JettyHTTPServerEngineFactory.destroyForPort(port);
            bus.shutdown(true);
        };
    }

    /** Leaves other engines alone when this bus shuts down (CXF's factory would try to stop every one). */
    private static final class OwnPortEngines extends JettyHTTPServerEngineFactory {
        OwnPortEngines(Bus bus) {
            super(bus);
        }

        @Override
        public void postShutdown() {
            // the link's engine is closed by listen()'s handle
        }
    }

    // ------------------------------------------------------------------ server end (export)

    @Override
    public void initialize(Server server, Bus bus) {
        String address = server.getEndpoint().getEndpointInfo().getAddress();
        if (!address.startsWith("https://") || !(server.getDestination() instanceof JettyHTTPDestination d)
                || !(d.getEngine() instanceof JettyHTTPServerEngine engine)
                || engine.getTlsServerParameters() != serverParameters) {
            throw new IllegalStateException("the vAMT link serves only on this node's mutual-TLS engine ("
                    + bindAddress + ":" + port + "), not at " + address);
        }
    }

    // ------------------------------------------------------------------ client end (import)

    @Override
    public void initialize(Client client, Bus bus) {
        initialize((InterceptorProvider) client, bus);
    }

    /** Nothing for a whole bus: the link's TLS belongs to the link's endpoints only (see LinkTransport). */
    @Override
    public void initialize(Bus bus) {
    }

    /** A JAX-RS client (provider-rs import): its calls get this peer's TLS before they are sent. */
    @Override
    public void initialize(InterceptorProvider client, Bus bus) {
        client.getOutInterceptors().add(new ClientTls());
    }

    private static final FaultListener QUIET = (exception, description, message) -> false;

    private final class ClientTls extends AbstractPhaseInterceptor<Message> {
        ClientTls() {
            super(Phase.PREPARE_SEND);
            addBefore(MessageSenderInterceptor.class.getName());
        }

        @Override
        public void handleMessage(Message message) {
            // HttpURLConnection: about half the latency of CXF's java.net.http conduit for these small
            // calls (same connection reuse, no hand-off between threads); the link's calls are synchronous
            message.put("force.urlconnection.http.conduit", Boolean.TRUE);
            // a failed call is the caller's (UNAVAILABLE; the gateway logs a node's change of state once),
            // not a CXF warning with a stack trace at every poll of a node that is down
            message.put(FaultListener.class.getName(), QUIET);
            Long held = LinkedNode.heldMillis();
            if (held != null) {
                // a held call: the node answers within its hold; the call timeout counts from there
                message.put(Message.RECEIVE_TIMEOUT, callTimeoutMillis + Math.max(0, held));
            }
            String address = String.valueOf(message.get(Message.ENDPOINT_ADDRESS));
            String expected = nodeIdOf(address);
            Conduit conduit = message.getExchange().getConduit(message);
            if (!(conduit instanceof HTTPConduit http)) {
                throw new Fault(new IllegalStateException("the vAMT link needs an HTTP conduit, not " + conduit));
            }
            synchronized (http) {
                TLSClientParameters current = http.getTlsClientParameters();
                if (current == null || !(current.getTrustManagers()[0] instanceof PeerTrustManager p)
                        || !p.expected.equals(expected)) {
                    http.setTlsClientParameters(clientParameters(expected));
                    HTTPClientPolicy policy = new HTTPClientPolicy();
                    policy.setConnectionTimeout(connectTimeoutMillis);
                    policy.setReceiveTimeout(callTimeoutMillis);
                    policy.setAllowChunking(false);
                    http.setClient(policy);
                }
            }
        }
    }

    /** The node id an address names; refuses anything but {@code https://host:port/vamt/node/<id>[/...]}. */
    static String nodeIdOf(String address) {
        URI uri;
        try {
            uri = URI.create(address);
        } catch (IllegalArgumentException e) {
            throw new Fault(new IllegalArgumentException("not a vAMT link address: " + address));
        }
        String path = uri.getPath();
        if (!"https".equalsIgnoreCase(uri.getScheme()) || path == null || !path.startsWith(PATH)) {
            throw new Fault(new IllegalArgumentException("the vAMT link calls only https://<node>" + PATH
                    + "<id>, not " + address));
        }
        String rest = path.substring(PATH.length());
        String id = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
        if (!id.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new Fault(new IllegalArgumentException("no node id in " + address));
        }
        return id;
    }

    TLSClientParameters clientParameters(String expectedPeer) {
        TLSClientParameters p = new TLSClientParameters();
        p.setSecureSocketProtocol("TLSv1.3");
        p.setKeyManagers(tls.keyManagers());
        p.setTrustManagers(new TrustManager[] {new PeerTrustManager((X509ExtendedTrustManager) tls.trustManagers()[0],
                expectedPeer)});
        // the peer is checked by its certificate's CN (the node id), not by the address it is called at
        p.setDisableCNCheck(true);
        return p;
    }

    /**
     * The site CA's trust (with the role check: the server's certificate must be a node's), and the server's
     * certificate must name the node the address is for.
     */
    static final class PeerTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager site;
        final String expected;

        PeerTrustManager(X509ExtendedTrustManager site, String expected) {
            this.site = site;
            this.expected = expected;
        }

        private void samePeer(X509Certificate[] chain) throws CertificateException {
            String id = LinkTls.peerId(chain[0]);
            if (!expected.equals(id)) {
                throw new CertificateException("the link peer presented the certificate of '" + id + "', not of node '"
                        + expected + "'");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            site.checkServerTrusted(chain, authType, socket);
            samePeer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            site.checkServerTrusted(chain, authType, engine);
            samePeer(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            site.checkServerTrusted(chain, authType);
            samePeer(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a link client does not accept clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a link client does not accept clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a link client does not accept clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return site.getAcceptedIssuers();
        }
    }
}
