package org.vamt.libvirt.internal;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.NetworkMedia;
import org.w3c.dom.Element;

/**
 * The IDE-R media of machines: an NBD medium in the first CD-ROM drive of the running machine, put
 * in by a live media change (virDomainUpdateDeviceFlags, LIVE), taken out the same way (forced, a
 * guest may have locked the tray). Kept here, not in the persistent definition, so that a start
 * while a session is live gets it too ({@link #startWithMedia}) and nothing survives vAMT.
 */
final class VirtualMedia {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    /** VIR_DOMAIN_START_PAUSED. */
    private static final int START_PAUSED = 1;
    /** VIR_DOMAIN_DEVICE_MODIFY_LIVE | VIR_DOMAIN_DEVICE_MODIFY_FORCE. */
    private static final int LIVE_FORCED = 1 | 4;

    private final Map<String, NetworkMedia> inserted = new ConcurrentHashMap<>();

    Optional<NetworkMedia> of(String canonicalUuid) {
        return Optional.ofNullable(inserted.get(canonicalUuid));
    }

    /** Remembers the medium and, when the machine runs, puts it in now. */
    void insert(String canonicalUuid, Domain d, String who, NetworkMedia media) throws LibvirtException,
            HypervisorException {
        String drive = cdromXml(d.getXMLDesc(0), who, media);   // UNSUPPORTED without a drive: nothing kept
        inserted.put(canonicalUuid, media);
        if (d.isActive() == 1) {
            change(d, drive, who);
            LOG.info("insertMedia {}: IDE-R medium in the CD-ROM drive", who);
        } else {
            LOG.info("insertMedia {}: IDE-R medium goes in the CD-ROM drive at the next start", who);
        }
    }

    /** Forgets the medium and takes it out of the running machine, if it is in there. */
    void eject(String canonicalUuid, Domain d, String who) throws LibvirtException, HypervisorException {
        NetworkMedia media = inserted.remove(canonicalUuid);
        if (media == null || d.isActive() != 1) {
            return;
        }
        String live = d.getXMLDesc(0);
        if (!live.contains(media.export())) {
            return;   // already changed by someone else
        }
        change(d, cdromXml(live, who, null), who);
        LOG.info("ejectMedia {}: IDE-R medium taken out of the CD-ROM drive", who);
    }

    /** Tries of a media change that met a tray the guest closed again. */
    static final int TRAY_TRIES = 10;

    /**
     * A live, forced media change. libvirt opens the tray and then swaps the medium; a Linux guest
     * that polls the drive (cdrom autoclose, udev) may close the tray in between, and QEMU refuses
     * the swap ("Tray of device ... is not open"): that is tried again, a moment later, a few times.
     */
    private static void change(Domain d, String driveXml, String who) throws LibvirtException {
        for (int attempt = 1; ; attempt++) {
            try {
                d.updateDeviceFlags(driveXml, LIVE_FORCED);
                return;
            } catch (LibvirtException e) {
                String m = String.valueOf(e.getMessage());
                if (attempt >= TRAY_TRIES || !(m.contains("Tray of device") && m.contains("is not open"))) {
                    throw e;
                }
                LOG.debug("{}: the guest closed the CD-ROM tray during the media change; trying again", who);
                try {
                    Thread.sleep(50L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Starts the (shut-off) machine through {@code create}; with a medium remembered, paused, so the
     * medium is in before the firmware looks for boot devices, then resumed.
     */
    void startWithMedia(String canonicalUuid, Domain d, String who) throws LibvirtException, HypervisorException {
        NetworkMedia media = inserted.get(canonicalUuid);
        if (media == null) {
            d.create();
            return;
        }
        d.create(START_PAUSED);
        try {
            change(d, cdromXml(d.getXMLDesc(0), who, media), who);
            LOG.info("powerOn {}: IDE-R medium in the CD-ROM drive before the firmware runs", who);
        } finally {
            d.resume();
        }
    }

    /**
     * The first CD-ROM drive of {@code definition} holding {@code media} (null: empty), as the
     * device XML of a media change: same target, read-only, NBD over TCP.
     */
    static String cdromXml(String definition, String who, NetworkMedia media) throws HypervisorException {
        Element domain = DomainXml.parseDomain(definition);
        Element devices = DomainXml.child(domain, "devices");
        Element cdrom = null;
        for (Element disk : devices == null ? java.util.List.<Element>of() : DomainXml.children(devices, "disk")) {
            if ("cdrom".equals(disk.getAttribute("device"))) {
                cdrom = disk;
                break;
            }
        }
        if (cdrom == null) {
            throw new HypervisorException(Reason.UNSUPPORTED, who + " has no CD-ROM drive for IDE-R media");
        }
        Element target = DomainXml.child(cdrom, "target");
        if (target == null) {
            throw new HypervisorException(Reason.FAILED, who + ": CD-ROM drive without a target");
        }
        StringBuilder x = new StringBuilder();
        x.append("<disk type='").append(media == null ? "file" : "network").append("' device='cdrom'>");
        x.append("<driver name='qemu' type='raw'/>");
        if (media != null) {
            x.append("<source protocol='nbd' name='").append(attr(media.export())).append("'>")
                    .append("<host name='").append(attr(media.host())).append("' port='").append(media.port())
                    .append("'/></source>");
        }
        x.append("<target dev='").append(attr(target.getAttribute("dev"))).append("'");
        if (!target.getAttribute("bus").isEmpty()) {
            x.append(" bus='").append(attr(target.getAttribute("bus"))).append("'");
        }
        x.append("/><readonly/>");
        Element address = DomainXml.child(cdrom, "address");
        if (address != null) {
            x.append(DomainXml.write(address));
        }
        x.append("</disk>");
        return x.toString();
    }

    private static String attr(String s) {
        return s.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;").replace("\"", "&quot;");
    }
}
