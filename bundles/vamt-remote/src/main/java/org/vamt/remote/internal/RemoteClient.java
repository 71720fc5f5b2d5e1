package org.vamt.remote.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.vamt.hypervisor.HypervisorException;

/**
 * The calling side of vamt.tcp: a proxy's invocation handler with a small pool of authenticated
 * connections. Every call is bounded: connecting by {@code connectTimeoutMillis}, the answer by
 * {@code callTimeoutMillis}; a node that is down or hung fails the call with
 * {@link HypervisorException.Reason#UNAVAILABLE} instead of blocking the caller.
 */
final class RemoteClient implements InvocationHandler, Closeable {
    private static final int MAX_IDLE = 8;

    private final String host;
    private final int port;
    private final String serviceKey;
    private final byte[] secret;
    private final int connectTimeoutMillis;
    private final int callTimeoutMillis;
    private final ClassLoader loader;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    RemoteClient(String host, int port, String serviceKey, byte[] secret, int connectTimeoutMillis,
                 int callTimeoutMillis, ClassLoader loader) {
        this.host = host;
        this.port = port;
        this.serviceKey = serviceKey;
        this.secret = secret.clone();
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.callTimeoutMillis = callTimeoutMillis;
        this.loader = loader;
    }

    private final class Connection implements Closeable {
        final Socket socket;
        final ObjectOutputStream out;
        final ObjectInputStream in;

        Connection() throws IOException {
            socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
                socket.setSoTimeout(callTimeoutMillis);
                DataInputStream din = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
                DataOutputStream dout = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
                Wire.authenticate(din, dout, secret);
                out = new ObjectOutputStream(dout);
                out.flush();
                in = Wire.objectInput(din, loader);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        Object[] call(Object[] request) throws IOException, ClassNotFoundException {
            out.writeObject(request);
            out.reset();
            out.flush();
            return (Object[]) in.readObject();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // gone anyway
            }
        }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        switch (method.getName()) {
            case "equals" -> {
                if (method.getParameterCount() == 1) {
                    return proxy == args[0];
                }
            }
            case "hashCode" -> {
                if (method.getParameterCount() == 0) {
                    return System.identityHashCode(proxy);
                }
            }
            case "toString" -> {
                if (method.getParameterCount() == 0) {
                    return "remote " + serviceKey + " at " + host + ":" + port;
                }
            }
            default -> { }
        }
        Object[] request = {serviceKey, method.getName(),
                Arrays.stream(method.getParameterTypes()).map(Class::getName).toArray(String[]::new),
                args == null ? new Object[0] : args};
        Object[] reply;
        try {
            reply = send(request);
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            String why = e instanceof SocketTimeoutException ? "no answer within " + callTimeoutMillis + " ms"
                    : e.toString();
            throw failure(method, HypervisorException.Reason.UNAVAILABLE, "node at " + host + ":" + port
                    + " cannot be reached: " + why, e);
        }
        if (Boolean.TRUE.equals(reply[0])) {
            return method.getReturnType() == Optional.class ? Optional.ofNullable(reply[1]) : reply[1];
        }
        HypervisorException.Reason reason;
        try {
            reason = HypervisorException.Reason.valueOf((String) reply[1]);
        } catch (IllegalArgumentException e) {
            reason = HypervisorException.Reason.FAILED;
        }
        throw failure(method, reason, (String) reply[2], null);
    }

    /** The declared HypervisorException when the method has one, otherwise an unchecked one. */
    private static Exception failure(Method method, HypervisorException.Reason reason, String message, Throwable cause) {
        if (Arrays.asList(method.getExceptionTypes()).contains(HypervisorException.class)) {
            return new HypervisorException(reason, message, cause);
        }
        return new IllegalStateException(reason + ": " + message, cause);
    }

    private Object[] send(Object[] request) throws IOException, ClassNotFoundException {
        if (closed) {
            throw new IOException("the import is closed");
        }
        Connection pooled = idle.pollFirst();
        if (pooled != null) {
            try {
                Object[] reply = pooled.call(request);
                release(pooled);
                return reply;
            } catch (SocketTimeoutException e) {
                pooled.close();
                throw e;   // the node is hung: do not wait a second time
            } catch (IOException e) {
                // a pooled connection the node closed (idle timeout, restart): one fresh attempt
                pooled.close();
            }
        }
        Connection fresh = new Connection();
        try {
            Object[] reply = fresh.call(request);
            release(fresh);
            return reply;
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            fresh.close();
            throw e;
        }
    }

    private void release(Connection c) {
        if (closed || idle.size() >= MAX_IDLE) {
            c.close();
        } else {
            idle.addFirst(c);
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            c.close();
        }
    }
}
