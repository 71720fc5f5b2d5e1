package org.vamt.endpoints.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.hypervisor.MachineId;
import org.vamt.security.SecurityService;
import org.vamt.tls.TlsIdentity;

/**
 * The real HTTP transport outside OSGi, for protocol handler tests (this module's test-jar): VMs
 * at addresses from 127.0.0.2, a real Jetty listener per port through CXF, the real door with the
 * given security service.
 */
public final class TestTransport implements AutoCloseable {
    private final MachineEndpoints endpoints = new MachineEndpoints("127.0.0.2");
    private final PathHandlers paths = new PathHandlers();
    private final HttpDoor door;
    private final List<CxfHttpListener> listeners = new ArrayList<>();
    private final List<MachineId> machines = new ArrayList<>();
    private TunnelServer tunnelServer;

    /**
     * @param maxRequestBytes    largest body
     * @param maxConcurrent      operations at once
     * @param queueMillis        how long one waits for a slot before 503
     * @param maxOperationMillis longest operation
     */
    public TestTransport(SecurityService security, int maxRequestBytes, int maxConcurrent, long queueMillis,
                         long maxOperationMillis) {
        this(security, maxRequestBytes, maxConcurrent, queueMillis, maxOperationMillis, "16.1.30.2307");
    }

    /** As above, answering as AMT {@code amtVersion} in the Server header. */
    public TestTransport(SecurityService security, int maxRequestBytes, int maxConcurrent, long queueMillis,
                         long maxOperationMillis, String amtVersion) {
        this(security, new HttpDoor.Limits(maxRequestBytes, maxConcurrent, queueMillis, maxOperationMillis),
                new ConnectionGuard.Limits(10_000, 32, 256), amtVersion);
    }

    /** Every limit of the door and of its connections given (this module's tests). */
    TestTransport(SecurityService security, HttpDoor.Limits limits, ConnectionGuard.Limits connectionLimits,
                  String amtVersion) {
        door = new HttpDoor(endpoints, security, paths, amtVersion, limits, connectionLimits);
    }

    HttpDoor door() {
        return door;
    }

    /** A VM with an endpoint (the first at 127.0.0.2, then .3 …). */
    public TestTransport machine(String uuid, String name) {
        machines.add(new MachineId(uuid, name));
        endpoints.sync(machines);
        return this;
    }

    public TestTransport serve(EndpointPathHandler handler, String... path) {
        paths.add(handler, Map.of(EndpointPathHandler.PATH, path));
        return this;
    }

    public void withdraw(EndpointPathHandler handler) {
        paths.remove(handler);
    }

    public TestTransport listen(int port) {
        listeners.add(new CxfHttpListener("0.0.0.0", port, door));
        return this;
    }

    public TestTransport listenTls(int port, TlsIdentity tls) {
        listeners.add(CxfHttpListener.https("0.0.0.0", port, door, tls));
        return this;
    }

    /** The door of tunnelled streams (CIRA channels) of these VMs, as the endpoint component offers it. */
    public TunnelDoor tunnels() {
        return tunnels(null);
    }

    /** As above, with TLS inside 16993 streams with {@code tls} (null: 16993 refused). */
    public synchronized TunnelDoor tunnels(TlsIdentity tls) {
        if (tunnelServer == null) {
            tunnelServer = new TunnelServer(door);
        }
        TunnelServer t = tunnelServer;
        return (vm, port, peer, sink) -> endpoints.byUuid(vm).isEmpty() ? java.util.Optional.empty()
                : t.open(vm, port, peer, sink, tls);
    }

    /** Tunnelled connections open now. */
    public synchronized int tunnelConnections() {
        return tunnelServer == null ? 0 : tunnelServer.connections();
    }

    /** Closes the listeners only (the door stays, as a component's listeners close on reconfiguration). */
    public void closeListeners() {
        listeners.forEach(CxfHttpListener::close);
        listeners.clear();
    }

    @Override
    public void close() {
        closeListeners();
        synchronized (this) {
            if (tunnelServer != null) {
                tunnelServer.close();
            }
        }
        door.close();
    }
}
