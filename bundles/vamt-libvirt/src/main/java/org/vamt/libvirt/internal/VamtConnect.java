package org.vamt.libvirt.internal;

import com.sun.jna.Pointer;

import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.jna.ConnectionPointer;

/** A libvirt-java {@link Connect} that also hands out its native {@code virConnectPtr} (for {@link NativeVirt}). */
final class VamtConnect extends Connect {

    VamtConnect(String uri) throws LibvirtException {
        super(uri);
    }

    /** The native connection, or null once closed. */
    Pointer pointer() {
        ConnectionPointer p = vcp;
        return p == null ? null : p.getPointer();
    }
}
