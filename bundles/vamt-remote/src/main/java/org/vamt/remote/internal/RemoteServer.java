package org.vamt.remote.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;

/**
 * The listening side of vamt.tcp: one socket on the configured management address (never the
 * wildcard), serving every exported service by key. Peers must pass {@link Wire#acceptPeer} first.
 */
final class RemoteServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteServer.class);
    private static final int MAX_CONNECTIONS = 64;
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 5_000;
    private static final int IDLE_TIMEOUT_MILLIS = 120_000;

    record Exported(Object service, Class<?> type) {
    }

    private final ServerSocket socket;
    private final byte[] secret;
    private final Map<String, Exported> services = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "vamt-remote-server");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    /** Open peer connections: closed with the server, since a thread blocked reading one ignores interrupts. */
    private final Set<Socket> accepted = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;

    RemoteServer(String bindAddress, int port, byte[] secret) throws IOException {
        InetAddress address = InetAddress.getByName(bindAddress);
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("refusing to serve remote calls on the wildcard address "
                    + bindAddress + ": set bindAddress to the management address");
        }
        this.secret = secret.clone();
        socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(address, port), 50);
        threads.execute(this::acceptLoop);
    }

    int port() {
        return socket.getLocalPort();
    }

    void add(String key, Object service, Class<?> type) {
        services.put(key, new Exported(service, type));
    }

    void remove(String key) {
        services.remove(key);
    }

    boolean isEmpty() {
        return services.isEmpty();
    }

    private void acceptLoop() {
        while (open) {
            try {
                Socket s = socket.accept();
                if (!connections.tryAcquire()) {
                    LOG.warn("Too many remote connections; refusing {}", s.getRemoteSocketAddress());
                    s.close();
                    continue;
                }
                accepted.add(s);
                if (!open) {
                    s.close();   // close() ran between accept and add
                }
                threads.execute(() -> {
                    try {
                        serve(s);
                    } finally {
                        accepted.remove(s);
                        connections.release();
                    }
                });
            } catch (IOException e) {
                if (open) {
                    LOG.warn("Accepting a remote connection failed: {}", e.toString());
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            DataInputStream din = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream dout = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            if (!Wire.acceptPeer(din, dout, secret)) {
                LOG.warn("Remote call from {} refused: it does not know the shared secret", s.getRemoteSocketAddress());
                return;
            }
            s.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            ObjectOutputStream out = new ObjectOutputStream(dout);
            out.flush();
            ObjectInputStream in = Wire.objectInput(din, getClass().getClassLoader());
            while (open) {
                Object[] request = (Object[]) in.readObject();
                Object[] reply = call(request);
                out.writeObject(reply);
                out.reset();
                out.flush();
            }
        } catch (EOFException | SocketTimeoutException | SocketException e) {
            // the peer closed or idled out
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            LOG.warn("Remote connection from {} dropped: {}", s.getRemoteSocketAddress(), e.toString());
        }
    }

    private Object[] call(Object[] request) {
        try {
            String key = (String) request[0];
            String name = (String) request[1];
            String[] typeNames = (String[]) request[2];
            Object[] args = (Object[]) request[3];
            Exported target = services.get(key);
            if (target == null) {
                return failure(HypervisorException.Reason.UNAVAILABLE.name(), "service " + key + " is not exported here");
            }
            Class<?>[] types = new Class<?>[typeNames.length];
            for (int i = 0; i < types.length; i++) {
                types[i] = Wire.typeNamed(typeNames[i], target.type().getClassLoader());
            }
            // only methods of the exported interface: never Object's or the implementation's own
            Method m = target.type().getMethod(name, types);
            Object result = m.invoke(target.service(), args);
            if (result instanceof Optional<?> o) {
                result = o.orElse(null);
            }
            if (result != null && !(result instanceof Serializable)) {
                return failure(HypervisorException.Reason.FAILED.name(), name + " returned a value that cannot travel");
            }
            return new Object[] {Boolean.TRUE, result};
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HypervisorException h) {
                return failure(h.reason().name(), h.getMessage());
            }
            LOG.warn("Remote call failed in the service", cause);
            return failure(HypervisorException.Reason.FAILED.name(), String.valueOf(cause));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return failure(HypervisorException.Reason.INVALID_ARGUMENT.name(), "bad remote call: " + e);
        }
    }

    private static Object[] failure(String reason, String message) {
        return new Object[] {Boolean.FALSE, reason, message};
    }

    @Override
    public void close() {
        open = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        // peers see the end at once (and a gateway's next call fails fast) instead of after the idle timeout
        for (Socket s : accepted) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
