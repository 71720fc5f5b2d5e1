package org.vamt.libvirt.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import org.libvirt.Error;
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
