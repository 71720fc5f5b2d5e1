package org.vamt.libvirt.internal;

import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainInterface;
import org.libvirt.Network;
import org.libvirt.StorageVol;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.NicAddress;
import org.vamt.hypervisor.SerialConsole;

/**
 * libvirt domains as vAMT machines: the machine list and {@link MachineInfo}, the virtual hardware
 * from the definition ({@link DomainHardwareParser} plus what only the host knows), and the devices
 * providers touch (NIC link, serial console, VNC display).
 */
final class HardwareMapping {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);

    private final Domains domains;
    /** The host's SMBIOS facts, once read. */
    private volatile HostSmbios hostSmbios;
    /** The host CPU clock and when it was read (System.nanoTime). */
    private record HostClock(int mhz, long readAt) {
    }

    /**
     * The host's clock is read again after this long: every Enumerate of an inventory class asked
     * libvirt for it (virNodeGetInfo, 8 % of a sweep's CPU), and it only drifts with frequency scaling.
     */
    private static final long HOST_CLOCK_MAX_AGE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    private volatile HostClock hostClock;
    /**
     * The last definitions parsed, by machine: an inventory sweep asks for the hardware once per class,
     * and parsing the definition was a third of an Enumerate's CPU. A hit needs the very same XML, so
     * every change of the definition is still seen at once; a few entries, whatever the number of VMs.
     */
    private final ParsedDefinitions parsedDefinitions = new ParsedDefinitions(PARSED_DEFINITIONS);
    static final int PARSED_DEFINITIONS = 32;

    /** A definition's XML and what {@link DomainHardwareParser} made of it. */
    private record ParsedDefinition(String xml, MachineHardware hardware) {
    }

    /** Least recently used first; access-ordered, so guarded by itself. */
    private static final class ParsedDefinitions extends LinkedHashMap<String, ParsedDefinition> {
        private final int max;

        ParsedDefinitions(int max) {
            super(16, 0.75f, true);
            this.max = max;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ParsedDefinition> eldest) {
            return size() > max;
        }
    }

    HardwareMapping(Domains domains) {
        this.domains = domains;
    }

    public List<MachineInfo> listMachines() throws HypervisorException {
        return domains.conn().call("listMachines", "", c -> {
            Domain[] domains = c.listAllDomains(0);
            List<MachineInfo> result = new ArrayList<>(domains.length);
            for (Domain d : domains) {
                try {
                    result.add(info(c, d));
                } catch (LibvirtException e) {
                    if (!Domains.isNoDomain(e.getError() == null ? null : e.getError().getCode())) {
                        throw e;
                    }   // undefined meanwhile
                } catch (NativeVirt.NativeException e) {
                    if (!Domains.isNoDomain(e.error() == null ? null : e.error().getCode())) {
                        throw e;
                    }
                } finally {
                    Domains.free(d);
                }
            }
            result.sort(Comparator.comparing(MachineInfo::name));
            return result;
        });
    }

    /**
     * One virConnectListAllDomains and nothing else: a domain's UUID and name come with the listing
     * (virDomainGetUUIDString and virDomainGetName answer from the client's copy), where
     * {@link #listMachines()} costs about seven calls a machine on the shared connection.
     */
    public List<MachineId> listMachineIds() throws HypervisorException {
        return domains.conn().call("listMachineIds", "", c -> {
            Domain[] domains = c.listAllDomains(0);
            List<MachineId> result = new ArrayList<>(domains.length);
            try {
                for (Domain d : domains) {
                    result.add(new MachineId(Domains.fromLibvirt(d.getUUIDString()), d.getName()));
                }
            } finally {
                for (Domain d : domains) {
                    Domains.free(d);
                }
            }
            result.sort(Comparator.comparing(MachineId::name));
            return result;
        });
    }

    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        if (uuid == null || !Domains.UUID_PATTERN.matcher(uuid.trim()).matches()) {
            return Optional.empty();
        }
        String id = Domains.canonical(uuid);
        try {
            return Optional.of(domains.withDomain("machine", id, (c, d) -> info(c, d)));
        } catch (HypervisorException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public String definitionXml(String uuid) throws HypervisorException {
        return domains.withDomain("definitionXml", Domains.canonical(uuid), (c, d) -> d.getXMLDesc(0));
    }

    /**
     * Parses the current definition ({@code virDomainGetXMLDesc} with flags 0: the live one while the
     * machine runs, never with secrets, never logged) with {@link DomainHardwareParser}, then adds what
     * only the host knows: the CPU clock ({@code virNodeGetInfo}) and disk capacities
     * ({@code virDomainGetBlockInfo}, tried while the machine runs or when the disk's source path exists
     * locally; else the capacity of the storage volume at that path; 0 when both fail).
     */
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return domains.withDomain("hardware", Domains.canonical(uuid), (c, d) -> {
            String who = Domains.describe(d);
            MachineHardware parsed = parsedDefinition(Domains.canonical(uuid), d.getXMLDesc(0));
            boolean active = d.isActive() == 1;
            List<MachineHardware.Disk> disks = new ArrayList<>(parsed.disks().size());
            for (MachineHardware.Disk k : parsed.disks()) {
                long capacity = capacity(c, d, who, k, active);
                disks.add(capacity == k.capacity() ? k
                        : new MachineHardware.Disk(k.target(), k.bus(), k.cdrom(), k.source(), capacity, k.serial()));
            }
            MachineHardware.Cpu p = parsed.cpu();
            HostSmbios host = hostSmbios(c);
            MachineHardware.Cpu cpu = new MachineHardware.Cpu(p.model(), p.vendor(), p.sockets(), p.cores(),
                    p.threads(), hostMhz(c), host.maxMhz(), host.busMhz(), host.stepping());
            MachineHardware hw = new MachineHardware(parsed.firmware(), parsed.system(), parsed.baseboard(),
                    parsed.chassis(), cpu, parsed.memoryKiB(), disks, parsed.nics(), host.memoryMhz());
            LOG.debug("hardware {}: {}, {} {}x{}x{}, {} KiB, {} disk(s), {} NIC(s)", who,
                    hw.firmware().uefi() ? "UEFI" : "BIOS", cpu.model(), cpu.sockets(), cpu.cores(), cpu.threads(),
                    hw.memoryKiB(), disks.size(), hw.nics().size());
            return hw;
        });
    }

    private MachineHardware parsedDefinition(String uuid, String xml) throws HypervisorException {
        ParsedDefinition known;
        synchronized (parsedDefinitions) {
            known = parsedDefinitions.get(uuid);
        }
        if (known != null && known.xml().equals(xml)) {
            return known.hardware();
        }
        MachineHardware parsed = DomainHardwareParser.parse(xml);
        synchronized (parsedDefinitions) {
            parsedDefinitions.put(uuid, new ParsedDefinition(xml, parsed));
        }
        return parsed;
    }

    /**
     * virDomainUpdateDeviceFlags with the NIC's {@code <interface>} from the current definition and
     * {@code <link state>}, LIVE (when running) and CONFIG (when persistent). Where the driver has no
     * device update (the test driver), the persistent definition is redefined with the new link
     * state instead; for a running machine that is only half of it, so it ends with UNSUPPORTED (the
     * definition has changed, effective at the next start).
     */
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        String id = Domains.canonical(uuid);
        String address = NicLink.normalizeMac(mac);
        String state = up ? "up" : "down";
        synchronized (domains.lock(id)) {
            domains.withDomain("setNicLink", id, (c, d) -> {
                String who = Domains.describe(d);
                boolean active = d.isActive() == 1;
                boolean persistent = d.isPersistent() == 1;
                String device = NicLink.interfaceXml(d.getXMLDesc(0), address, up);
                if (device == null) {
                    throw new HypervisorException(Reason.INVALID_ARGUMENT, "setNicLink " + who + ": no NIC with MAC " + address);
                }
                int flags = (active ? NativeVirt.AFFECT_LIVE : 0) | (persistent ? NativeVirt.AFFECT_CONFIG : 0);
                try {
                    d.updateDeviceFlags(device, flags);
                    LOG.info("setNicLink {}: link of {} {} ({})", who, address, state,
                            active ? (persistent ? "live and config" : "live") : "config");
                    return null;
                } catch (LibvirtException e) {
                    if (!persistent || !Domains.isUnsupported(e)) {
                        throw e;
                    }
                    LOG.info("setNicLink {}: device update refused ({}); changing the persistent definition instead",
                            who, Domains.message(e));
                }
                String inactive = d.getXMLDesc(Domains.XML_INACTIVE_SECURE);
                boolean configDone = false;
                if (active) {   // maybe only the live part is unsupported
                    String configDevice = NicLink.interfaceXml(inactive, address, up);
                    if (configDevice != null) {
                        try {
                            d.updateDeviceFlags(configDevice, NativeVirt.AFFECT_CONFIG);
                            configDone = true;
                        } catch (LibvirtException e) {
                            if (!Domains.isUnsupported(e)) {
                                throw e;
                            }
                        }
                    }
                }
                if (!configDone) {
                    String redefined = NicLink.definitionWith(inactive, address, up);
                    if (redefined == null) {
                        throw new HypervisorException(active ? Reason.UNSUPPORTED : Reason.INVALID_ARGUMENT, "setNicLink "
                                + who + ": cannot change the link of " + address + " live, and the persistent definition"
                                + " has no NIC with that MAC");
                    }
                    Domains.define(c, redefined);
                }
                if (active) {
                    LOG.warn("setNicLink {}: link of {} {} in the persistent definition only (effective at the next"
                            + " start); the driver cannot change it on the running machine", who, address, state);
                    throw new HypervisorException(Reason.UNSUPPORTED, "setNicLink " + who + ": the driver cannot change"
                            + " the link of a running machine's NIC; the definition now has the link of " + address + " "
                            + state + ", effective at the next start");
                }
                LOG.info("setNicLink {}: link of {} {} (config; persistent definition redefined)", who, address, state);
                return null;
            });
        }
    }

    /**
     * virDomainOpenConsole (forced) on the first console, through {@link NativeVirt}; with a daemon, on
     * a connection of the console's own (see {@link NativeVirt#openConsoleAlone}).
     */
    public SerialConsole openConsole(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        String uri = domains.conn().uri();
        return domains.withDomain("openConsole", id, (c, d) -> {
            String who = Domains.describe(d);
            Domains.requireActive("openConsole", who, d);
            SerialConsole console = LibvirtConnection.inProcess(uri) ? NativeVirt.openConsole(c, id)
                    : NativeVirt.openConsoleAlone(uri, id);
            LOG.debug("openConsole {}: console stream open", who);
            return console;
        });
    }

    /**
     * The first {@code <graphics type='vnc'>} of the live definition: its port and listen address
     * (a wildcard or missing listen address means this host's loopback).
     */
    public Optional<java.net.InetSocketAddress> vncDisplay(String uuid) throws HypervisorException {
        String id = Domains.canonical(uuid);
        return domains.withDomain("vncDisplay", id, (c, d) -> {
            Domains.requireActive("vncDisplay", Domains.describe(d), d);
            return VncDisplay.of(d.getXMLDesc(0));
        });
    }

    private static MachineInfo info(VamtConnect c, Domain d) throws LibvirtException, NativeVirt.NativeException {
        String uuid = Domains.fromLibvirt(d.getUUIDString());
        String name = d.getName();
        DomainInfo info = d.getInfo();
        int online;
        try {
            online = NativeVirt.vcpus(c, uuid, NativeVirt.AFFECT_CURRENT);   // live when running, else config
        } catch (NativeVirt.NativeException e) {
            if (e.error() != null && ErrorMapping.reason(e.error().getCode()) == Reason.UNSUPPORTED) {
                online = info.nrVirtCpu;
            } else {
                throw e;
            }
        }
        int max = NativeVirt.vcpus(c, uuid, NativeVirt.VCPU_MAXIMUM | NativeVirt.AFFECT_CURRENT);
        // a running persistent machine may start next time with another count (see setOnlineVcpus)
        int nextStart = online;
        if (info.state != DomainState.VIR_DOMAIN_SHUTOFF && d.isPersistent() == 1) {
            nextStart = NativeVirt.vcpus(c, uuid, NativeVirt.AFFECT_CONFIG);
        }
        return new MachineInfo(uuid, name, state(info.state), online, max, info.maxMem, nextStart);
    }

    static MachineState state(DomainState s) {
        if (s == null) {
            return MachineState.NO_STATE;
        }
        switch (s) {
            case VIR_DOMAIN_RUNNING: return MachineState.RUNNING;
            case VIR_DOMAIN_BLOCKED: return MachineState.BLOCKED;
            case VIR_DOMAIN_PAUSED: return MachineState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN: return MachineState.SHUTTING_DOWN;
            case VIR_DOMAIN_SHUTOFF: return MachineState.SHUT_OFF;
            case VIR_DOMAIN_CRASHED: return MachineState.CRASHED;
            case VIR_DOMAIN_PMSUSPENDED: return MachineState.SUSPENDED;
            default: return MachineState.NO_STATE;
        }
    }

    /** Disk capacity in bytes from virDomainGetBlockInfo, or 0 (no source, not tried, or failed). */
    private static long capacity(VamtConnect c, Domain d, String who, MachineHardware.Disk disk, boolean active)
            throws LibvirtException {
        if (disk.target() == null || disk.source() == null) {
            return 0;
        }
        if (!(active || existsLocally(disk.source()))) {
            return volumeCapacity(c, who, disk);
        }
        try {
            return Math.max(0, d.blockInfo(disk.target()).getCapacity());
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("hardware {}: no capacity for disk {}: {}", who, disk.target(),
                    e.getError() == null ? e.getMessage() : e.getError().getMessage());
            return 0;
        }
    }

    /**
     * The capacity of the storage volume at the disk's source (virStorageVolLookupByPath): known
     * while the machine is off even where the image is not readable here (a remote host, a pool
     * vAMT may not read), as a powered-off AMT PC still reports its disks. 0 when no pool holds it.
     */
    private static long volumeCapacity(VamtConnect c, String who, MachineHardware.Disk disk) throws LibvirtException {
        try {
            StorageVol volume = c.storageVolLookupByPath(disk.source());
            try {
                return Math.max(0, volume.getInfo().capacity);
            } finally {
                volume.free();
            }
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("hardware {}: no storage volume for disk {}: {}", who, disk.target(),
                    e.getError() == null ? e.getMessage() : e.getError().getMessage());
            return 0;
        }
    }

    private static boolean existsLocally(String source) {
        try {
            return source.startsWith("/") && Files.exists(Paths.get(source));
        } catch (InvalidPathException | SecurityException e) {
            return false;
        }
    }

    /**
     * The host's SMBIOS processor and memory facts from virConnectGetSysinfo, read once per activation
     * (one libvirt URI: they do not change while the host runs) unless the connection fails; UNKNOWN,
     * and kept so, when the driver has none or the answer cannot be parsed.
     */
    private HostSmbios hostSmbios(VamtConnect c) throws LibvirtException {
        HostSmbios known = hostSmbios;
        if (known != null) {
            return known;
        }
        HostSmbios read;
        try {
            read = HostSmbios.parse(c.getSysinfo());
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("virConnectGetSysinfo: {}", e.getMessage());
            read = HostSmbios.UNKNOWN;
        } catch (HypervisorException e) {
            LOG.debug("virConnectGetSysinfo: {}", e.getMessage());
            read = HostSmbios.UNKNOWN;
        }
        hostSmbios = read;
        return read;
    }

    /**
     * The running machine's IPv4 settings on the NIC with this MAC: the address from the DHCP lease
     * of its libvirt network (virDomainInterfaceAddresses, source LEASE), else from the guest agent
     * (source AGENT); gateway and DNS server from the network's definition (the host's address on a
     * forwarding network serves both, as libvirt's dnsmasq does) when the address lies in it.
     */
    public Optional<NicAddress> nicAddress(String uuid, String mac) throws HypervisorException {
        String address = NicLink.normalizeMac(mac);
        return domains.withDomain("nicAddress", Domains.canonical(uuid), (c, d) -> {
            if (d.isActive() != 1) {
                return Optional.empty();
            }
            String network = NicAddresses.networkOf(d.getXMLDesc(0), address);
            DomainInterface.InterfaceAddress ip = null;
            if (network != null) {
                ip = ipv4(d, address, LEASE);
            }
            if (ip == null) {
                ip = ipv4(d, address, AGENT);
            }
            if (ip == null) {
                return Optional.empty();
            }
            String networkXml = null;
            if (network != null) {
                try {
                    Network n = c.networkLookupByName(network);
                    try {
                        networkXml = n.getXMLDesc(0);
                    } finally {
                        n.free();
                    }
                } catch (LibvirtException e) {
                    if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                        throw e;
                    }
                    LOG.debug("nicAddress {}: network {}: {}", Domains.describe(d), network, Domains.message(e));
                }
            }
            return Optional.of(NicAddresses.withNetwork(ip.address.getHostAddress(), ip.prefixLength, networkXml));
        });
    }

    /** virDomainInterfaceAddresses source values. */
    private static final int LEASE = 0;
    private static final int AGENT = 1;

    private static DomainInterface.InterfaceAddress ipv4(Domain d, String mac, int source) throws LibvirtException {
        Collection<DomainInterface> interfaces;
        try {
            interfaces = d.interfaceAddresses(source, 0);
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            // no lease (yet), no agent in the guest, or a driver without the call: unknown
            LOG.debug("interfaceAddresses({}) {}: {}", source == LEASE ? "lease" : "agent", Domains.describe(d),
                    Domains.message(e));
            return null;
        }
        for (DomainInterface i : interfaces) {
            if (i.hwAddr != null && mac.equalsIgnoreCase(i.hwAddr.trim()) && i.addrs != null) {
                for (DomainInterface.InterfaceAddress a : i.addrs) {
                    if (a.address instanceof Inet4Address) {
                        return a;
                    }
                }
            }
        }
        return null;
    }

    /** The host CPU clock from virNodeGetInfo (at most {@link #HOST_CLOCK_MAX_AGE_NANOS} old), or 0. */
    private int hostMhz(VamtConnect c) throws LibvirtException {
        HostClock known = hostClock;
        long now = System.nanoTime();
        if (known != null && now - known.readAt() < HOST_CLOCK_MAX_AGE_NANOS) {
            return known.mhz();
        }
        try {
            int mhz = Math.max(0, c.nodeInfo().mhz);
            hostClock = new HostClock(mhz, now);
            return mhz;
        } catch (LibvirtException e) {
            if (e.getError() != null && ErrorMapping.isConnectionError(e.getError().getCode())) {
                throw e;
            }
            LOG.debug("virNodeGetInfo: {}", e.getMessage());
            return 0;
        }
    }

}
