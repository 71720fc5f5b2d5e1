package org.vamt.libvirt.internal;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import java.util.function.Supplier;

/**
 * What every part of {@link LibvirtHypervisor} shares: the connection, one lock per machine for
 * read-modify-write of its definition (state, one-time boot, NIC link fallback; only within this
 * process: the node that owns a machine is where its writes happen, see docs/scale-out.md), and the
 * small libvirt helpers (UUIDs, names for logs, freeing handles).
 */
final class Domains {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    static final Pattern UUID_PATTERN =
            Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");
    /** The persistent definition with secrets (VNC passwords…), for redefining it. Never logged. */
    static final int XML_INACTIVE_SECURE = Domain.XMLFlags.INACTIVE | Domain.XMLFlags.SECURE;

    private final Supplier<LibvirtConnection> connection;
    private final ConcurrentMap<String, Object> machineLocks = new ConcurrentHashMap<>();

    Domains(Supplier<LibvirtConnection> connection) {
        this.connection = connection;
    }

    @FunctionalInterface
    interface DomainCall<T> {
        T call(VamtConnect c, Domain d) throws LibvirtException, NativeVirt.NativeException, HypervisorException;
    }

    <T> T withDomain(String op, String uuid, DomainCall<T> call) throws HypervisorException {
        return conn().call(op, uuid, c -> {
            Domain d = c.domainLookupByUUIDString(uuid);
            try {
                return call.call(c, d);
            } finally {
                free(d);
            }
        });
    }

    LibvirtConnection conn() throws HypervisorException {
        LibvirtConnection c = connection.get();
        if (c == null) {
            throw new HypervisorException(Reason.UNAVAILABLE, "vAMT libvirt hypervisor is not active");
        }
        return c;
    }

    /** The machine's lock (canonical UUID). */
    Object lock(String id) {
        return machineLocks.computeIfAbsent(id, k -> new Object());
    }

    /** virDomainDefineXML; the XML is never logged (it may hold secrets). */
    static void define(VamtConnect c, String xml) throws LibvirtException {
        free(c.domainDefineXML(xml));
    }

    static boolean isUnsupported(LibvirtException e) {
        return e.getError() != null && ErrorMapping.reason(e.getError().getCode()) == Reason.UNSUPPORTED;
    }

    static String message(LibvirtException e) {
        return e.getError() != null && e.getError().getMessage() != null ? e.getError().getMessage() : e.getMessage();
    }

    /** Canonical lower-case UUID with dashes; INVALID_ARGUMENT when it is not a UUID. */
    static String canonical(String uuid) throws HypervisorException {
        String s = uuid == null ? "" : uuid.trim();
        if (!UUID_PATTERN.matcher(s).matches()) {
            throw new HypervisorException(Reason.INVALID_ARGUMENT, "not a UUID: '" + uuid + "'");
        }
        String hex = s.replace("-", "").toLowerCase(Locale.ROOT);
        return hex.substring(0, 8) + '-' + hex.substring(8, 12) + '-' + hex.substring(12, 16) + '-'
                + hex.substring(16, 20) + '-' + hex.substring(20);
    }

    /** A UUID string libvirt returned (already canonical in practice), made canonical. */
    static String fromLibvirt(String uuid) {
        try {
            return canonical(uuid);
        } catch (HypervisorException e) {
            return uuid.toLowerCase(Locale.ROOT);
        }
    }

    static void requireActive(String op, String who, Domain d) throws LibvirtException, HypervisorException {
        if (d.isActive() != 1) {
            throw new HypervisorException(Reason.INVALID_STATE, op + " " + who + ": not running");
        }
    }

    static boolean isNoDomain(ErrorNumber code) {
        return code == ErrorNumber.VIR_ERR_NO_DOMAIN;
    }

    static String describe(Domain d) {
        try {
            return "'" + d.getName() + "' (" + fromLibvirt(d.getUUIDString()) + ")";
        } catch (LibvirtException | RuntimeException e) {
            return "domain";
        }
    }

    static void free(Domain d) {
        if (d != null) {
            try {
                d.free();
            } catch (LibvirtException | RuntimeException e) {
                LOG.debug("virDomainFree: {}", e.getMessage());
            }
        }
    }
}
