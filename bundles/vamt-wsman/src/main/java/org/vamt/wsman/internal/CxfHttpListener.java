package org.vamt.wsman.internal;

import java.io.IOException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.service.model.EndpointInfo;
import org.apache.cxf.transport.Destination;
import org.apache.cxf.transport.DestinationFactory;
import org.apache.cxf.transport.DestinationFactoryManager;
import org.apache.cxf.transport.http.AbstractHTTPDestination;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngine;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngineFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP listener on CXF's Jetty transport, handing every request on every path to a
 * {@link WsmanHttpHandler}. It owns a private CXF Bus so that stopping it really frees the port
 * (a destination on the shared default bus keeps Jetty bound after a bundle refresh).
 */
final class CxfHttpListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CxfHttpListener.class);

    private final Bus bus;
    private final Destination destination;
    private final String bindAddress;
    private final int port;

    CxfHttpListener(String bindAddress, int port, WsmanHttpHandler handler) {
        this.bindAddress = bindAddress;
        this.port = port;
        this.bus = BusFactory.newInstance().createBus();
        try {
            JettyHTTPServerEngineFactory engines = bus.getExtension(JettyHTTPServerEngineFactory.class);
            JettyHTTPServerEngine engine = engines.createJettyHTTPServerEngine(bindAddress, port, "http");
            // Our own Server header names the AMT version; Jetty must not add its own.
            engine.setSendServerVersion(false);
            String address = "http://" + bindAddress + ":" + port + "/";
            DestinationFactory factory = bus.getExtension(DestinationFactoryManager.class)
                    .getDestinationFactoryForUri(address);
            EndpointInfo info = new EndpointInfo();
            info.setAddress(address);
            destination = factory.getDestination(info, bus);
            destination.setMessageObserver(message -> {
                HttpServletRequest req = (HttpServletRequest) message.get(AbstractHTTPDestination.HTTP_REQUEST);
                HttpServletResponse resp = (HttpServletResponse) message.get(AbstractHTTPDestination.HTTP_RESPONSE);
                try {
                    handler.handle(req, resp);
                } catch (IOException e) {
                    LOG.debug("Client {} went away: {}", req.getRemoteAddr(), e.toString());
                }
            });
        } catch (Exception e) {
            bus.shutdown(true);
            throw new IllegalStateException("cannot listen on " + bindAddress + ":" + port + ": " + e, e);
        }
        LOG.info("WS-Management listening on {}:{}", bindAddress, port);
    }

    @Override
    public void close() {
        destination.shutdown();
        // The engine factory keeps engines per port across buses and counts our own creation as a
        // second user, so the destination's shutdown alone leaves Jetty bound with the old handler.
        JettyHTTPServerEngineFactory.destroyForPort(port);
        bus.shutdown(true);
        LOG.info("WS-Management listener on {}:{} stopped", bindAddress, port);
    }
}
