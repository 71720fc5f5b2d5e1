package org.vamt.libvirt.internal;

import org.libvirt.LibvirtException;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.util.concurrent.atomic.AtomicBoolean;
import org.libvirt.Error;
import org.libvirt.jna.SizeT;
import org.libvirt.jna.virError;

/**
 * The few libvirt C functions that libvirt-java 0.5.4 does not bind, called through JNA on the same
 * {@code libvirt.so.0} that libvirt-java loaded.
 *
 * <p>libvirt-java has {@code virDomainSetVcpusFlags} but not {@code virDomainGetVcpusFlags}, and
 * {@code virDomainGetMaxVcpus} fails for inactive domains; it has no {@code virDomainInjectNMI} at
 * all. Its {@code Domain} hides the native pointer, so we look the domain up again by UUID on the
 * connection pointer that {@link VamtConnect} exposes.
 */
final class NativeVirt {

    /** {@code VIR_DOMAIN_AFFECT_CURRENT}: live definition when running, persistent one otherwise. */
    static final int AFFECT_CURRENT = 0;
    static final int AFFECT_LIVE = 1;
    static final int AFFECT_CONFIG = 2;
    /** {@code VIR_DOMAIN_VCPU_MAXIMUM}. */
    static final int VCPU_MAXIMUM = 4;

    interface Virt extends Library {
        Pointer virDomainLookupByUUIDString(Pointer conn, String uuid);

        int virDomainGetVcpusFlags(Pointer domain, int flags);

        int virDomainInjectNMI(Pointer domain, int flags);

        int virDomainFree(Pointer domain);

        Pointer virStreamNew(Pointer conn, int flags);

        int virDomainOpenConsole(Pointer domain, String devName, Pointer stream, int flags);

        int virStreamRecv(Pointer stream, byte[] data, SizeT nbytes);

        int virStreamSend(Pointer stream, byte[] data, SizeT nbytes);

        int virStreamAbort(Pointer stream);

        int virStreamFree(Pointer stream);

        virError virGetLastError();
    }

    private static final class Holder {
        static final Virt VIRT = Native.load("virt", Virt.class);
    }

    private NativeVirt() {
    }

    /** virDomainGetVcpusFlags for the domain with this (canonical) UUID. */
    static int vcpus(VamtConnect connect, String uuid, int flags) throws NativeException {
        return onDomain(connect, uuid, "virDomainGetVcpusFlags", (virt, dom) -> virt.virDomainGetVcpusFlags(dom, flags));
    }

    /** virDomainInjectNMI (flags 0) for the domain with this (canonical) UUID. */
    static void injectNmi(VamtConnect connect, String uuid) throws NativeException {
        onDomain(connect, uuid, "virDomainInjectNMI", (virt, dom) -> virt.virDomainInjectNMI(dom, 0));
    }

    /** {@code VIR_DOMAIN_CONSOLE_FORCE}: take the console over from another client holding it. */
    static final int CONSOLE_FORCE = 1;

    /**
     * virDomainOpenConsole on the domain's first console, over a blocking stream (libvirt-java
     * 0.5.4 has streams but no virDomainOpenConsole, and hides the stream's native pointer).
     */
    static NativeConsole openConsole(VamtConnect connect, String uuid) throws NativeException {
        Virt virt = Holder.VIRT;
        Pointer conn = connect.pointer();
        if (conn == null) {
            throw new NativeException("virStreamNew", null, "connection is closed");
        }
        Pointer stream = virt.virStreamNew(conn, 0);
        if (stream == null) {
            throw lastError(virt, "virStreamNew");
        }
        try {
            onDomain(connect, uuid, "virDomainOpenConsole",
                    (v, dom) -> v.virDomainOpenConsole(dom, null, stream, CONSOLE_FORCE));
        } catch (NativeException e) {
            virt.virStreamFree(stream);
            throw e;
        }
        return new NativeConsole(virt, stream, null);
    }

    /**
     * The console on a connection of its own, closed with the console. libvirt's remote driver holds
     * the connection's lock while a blocking virStreamRecv waits for data, so a quiet console on the
     * shared connection held back every other call of this process (a VNC display, the VM's state)
     * until the guest printed something: seen as KVM opens 8-24 s late while SOL was open.
     */
    static NativeConsole openConsoleAlone(String uri, String uuid) throws NativeException, LibvirtException {
        VamtConnect own = new VamtConnect(uri);
        try {
            NativeConsole console = openConsole(own, uuid);
            return new NativeConsole(console.virt, console.stream, own);
        } catch (NativeException | RuntimeException e) {
            closeQuietly(own);
            throw e;
        }
    }

    private static void closeQuietly(VamtConnect c) {
        try {
            c.close();
        } catch (LibvirtException | RuntimeException e) {
            // the console is gone either way
        }
    }

    /**
     * A console stream. libvirt's remote driver lets one thread block in virStreamRecv while
     * another sends; the stream is aborted (which wakes the reader) and freed exactly once.
     */
    static final class NativeConsole implements org.vamt.hypervisor.SerialConsole {
        private final Virt virt;
        private final Pointer stream;
        private final AtomicBoolean closed = new AtomicBoolean();
        /** Calls in progress; the last one out frees a closed stream, so no call uses freed memory. */
        private int inFlight;
        private boolean freed;

        /** The console's own connection, closed after the stream is freed; null on a shared one. */
        private final VamtConnect own;

        private NativeConsole(Virt virt, Pointer stream, VamtConnect own) {
            this.virt = virt;
            this.stream = stream;
            this.own = own;
        }

        private synchronized boolean enter() {
            if (closed.get()) {
                return false;
            }
            inFlight++;
            return true;
        }

        private synchronized void leave() {
            inFlight--;
            freeIfUnused();
        }

        private void freeIfUnused() {
            if (closed.get() && inFlight == 0 && !freed) {
                freed = true;
                virt.virStreamFree(stream);
                if (own != null) {
                    closeQuietly(own);
                }
            }
        }

        @Override
        public int read(byte[] buffer) throws java.io.IOException {
            if (!enter()) {
                return -1;
            }
            try {
                int n = virt.virStreamRecv(stream, buffer, new SizeT(buffer.length));
                if (n == 0) {
                    return -1;
                }
                if (n < 0) {
                    if (closed.get()) {
                        return -1;
                    }
                    throw new java.io.IOException(lastError(virt, "virStreamRecv").getMessage());
                }
                return n;
            } finally {
                leave();
            }
        }

        @Override
        public void write(byte[] data, int offset, int length) throws java.io.IOException {
            if (!enter()) {
                throw new java.io.IOException("console closed");
            }
            try {
                byte[] chunk = offset == 0 && length == data.length ? data : java.util.Arrays.copyOfRange(data, offset,
                        offset + length);
                int done = 0;
                while (done < length) {
                    byte[] rest = done == 0 ? chunk : java.util.Arrays.copyOfRange(chunk, done, length);
                    int n = virt.virStreamSend(stream, rest, new SizeT(rest.length));
                    if (n < 0) {
                        throw new java.io.IOException(lastError(virt, "virStreamSend").getMessage());
                    }
                    done += n;
                }
            } finally {
                leave();
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                virt.virStreamAbort(stream);
                synchronized (this) {
                    freeIfUnused();
                }
            }
        }
    }

    /** A native call on a domain pointer; a negative result is an error. */
    @FunctionalInterface
    private interface DomainFunction {
        int call(Virt virt, Pointer domain);
    }

    /** Looks the domain up by UUID, runs {@code function} on it, frees it; libvirt's error when it fails. */
    private static int onDomain(VamtConnect connect, String uuid, String function, DomainFunction call)
            throws NativeException {
        Virt virt = Holder.VIRT;
        Pointer conn = connect.pointer();
        if (conn == null) {
            throw new NativeException("virDomainLookupByUUIDString", null, "connection is closed");
        }
        Pointer dom = virt.virDomainLookupByUUIDString(conn, uuid);
        if (dom == null) {
            throw lastError(virt, "virDomainLookupByUUIDString");
        }
        try {
            int n = call.call(virt, dom);
            if (n < 0) {
                throw lastError(virt, function);
            }
            return n;
        } finally {
            virt.virDomainFree(dom);
        }
    }

    private static NativeException lastError(Virt virt, String function) {
        virError e = virt.virGetLastError();
        Error error = e == null ? null : new Error(e);
        return new NativeException(function, error, error == null ? "unknown error" : error.getMessage());
    }

    /** A libvirt error from a function called through {@link NativeVirt}. */
    static final class NativeException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Error error;

        NativeException(String function, Error error, String message) {
            super(function + ": " + message);
            this.error = error;
        }

        /** The libvirt error, or null when libvirt reported none. */
        Error error() {
            return error;
        }
    }
}
