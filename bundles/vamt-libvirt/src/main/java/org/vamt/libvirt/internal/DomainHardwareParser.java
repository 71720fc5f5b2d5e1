package org.vamt.libvirt.internal;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Cpu;
import org.vamt.hypervisor.MachineHardware.Disk;
import org.vamt.hypervisor.MachineHardware.Firmware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineHardware.SmbiosInfo;
import org.w3c.dom.Element;

/**
 * libvirt domain XML ({@code virDomainGetXMLDesc}) to {@link MachineHardware}: a pure function, no
 * libvirt involved. Host values (CPU clock, disk capacities) are left 0 for the caller.
 *
 * <p>Parsed with the JDK's own DOM parser (vamt-security's {@code SafeXml}, not
 * whatever implementation an OSGi framework or the class path would offer), hardened: no DOCTYPE at
 * all, no external entities or DTDs, no XInclude, secure processing. The XML is never logged and
 * parse errors report only position and parser message.
 *
 * <p>What is read:
 * <ul>
 * <li>firmware: {@code <os firmware='efi'>} or a {@code <loader>} naming OVMF/edk2/AAVMF/QEMU_EFI means
 *     UEFI ("EDK II"), otherwise SeaBIOS. Vendor, version and date from {@code <sysinfo type='smbios'><bios>}
 *     when given; the SMBIOS date (mm/dd/yyyy, or mm/dd/yy meaning 19yy) becomes yyyy-mm-dd.</li>
 * <li>system, baseboard, chassis: the {@code <system>}, {@code <baseBoard>}, {@code <chassis>} blocks of
 *     {@code <sysinfo type='smbios'>}; a missing block is {@code null}, a missing entry a null field.
 *     The asset tag is the {@code asset} entry, else {@code sku} (type 1 has no asset tag).</li>
 * <li>cpu: {@code <cpu><model>}; for host-model/host-passthrough/maximum without a model "host"; no
 *     {@code <cpu>} or no model in custom mode: null. {@code <vendor>} or null; mhz 0. {@code <topology>}
 *     (cores per socket = dies x cores), else sockets = maximum vCPUs, 1 core, 1 thread.</li>
 * <li>memory: {@code <memory>} in any libvirt unit, as KiB.</li>
 * <li>disks: {@code <disk device='disk'|'lun'|'cdrom'>} (floppies are left out) with target, bus,
 *     source (file, dev, dir, pool/volume or network name), serial; capacity 0.</li>
 * <li>nics: every {@code <interface>}: MAC (lower case), model, network/bridge/device, link state.</li>
 * </ul>
 */
final class DomainHardwareParser {

    static final String SEABIOS = "SeaBIOS";
    static final String EDK2 = "EDK II";
    static final String HOST_CPU = "host";

    private static final Pattern UEFI_LOADER = Pattern.compile("(?i)ovmf|edk2|aavmf|qemu_efi");
    private static final Pattern SMBIOS_DATE = Pattern.compile("(\\d{1,2})/(\\d{1,2})/(\\d{2}|\\d{4})");
    private static final Pattern ISO_DATE = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})");

    private DomainHardwareParser() {
    }

    /**
     * The hardware in a domain definition. Values only the host knows are 0: CPU clock and disk
     * capacities (the caller fills them in).
     *
     * @throws HypervisorException FAILED when {@code xml} is not well-formed, has a DOCTYPE, or is not a
     *                             {@code <domain>}
     */
    static MachineHardware parse(String xml) throws HypervisorException {
        Element domain = DomainXml.parseDomain(xml);
        Element os = child(domain, "os");
        Element sysinfo = null;
        for (Element s : children(domain, "sysinfo")) {
            if ("smbios".equals(s.getAttribute("type"))) {
                sysinfo = s;
                break;
            }
        }
        Element devices = child(domain, "devices");
        return new MachineHardware(firmware(os, child(sysinfo, "bios")),
                smbios(child(sysinfo, "system")), smbios(child(sysinfo, "baseBoard")), smbios(child(sysinfo, "chassis")),
                cpu(child(domain, "cpu"), maxVcpus(domain)),
                memoryKiB(child(domain, "memory")),
                disks(devices), nics(devices));
    }

    // ---------------------------------------------------------------- parts

    private static Firmware firmware(Element os, Element bios) {
        boolean uefi = false;
        if (os != null) {
            Element loader = child(os, "loader");
            uefi = "efi".equalsIgnoreCase(os.getAttribute("firmware").trim())
                    || loader != null && UEFI_LOADER.matcher(loader.getTextContent()).find();
        }
        String vendor = entry(bios, "vendor");
        return new Firmware(vendor != null ? vendor : uefi ? EDK2 : SEABIOS, entry(bios, "version"),
                isoDate(entry(bios, "date")), uefi);
    }

    private static SmbiosInfo smbios(Element block) {
        if (block == null) {
            return null;
        }
        String asset = entry(block, "asset");
        return new SmbiosInfo(entry(block, "manufacturer"), entry(block, "product"), entry(block, "version"),
                entry(block, "serial"), asset != null ? asset : entry(block, "sku"));
    }

    private static Cpu cpu(Element cpu, int maxVcpus) {
        int vcpus = Math.max(1, maxVcpus);
        if (cpu == null) {
            return new Cpu(null, null, vcpus, 1, 1, 0);
        }
        String mode = cpu.getAttribute("mode").trim();
        String model = text(child(cpu, "model"));
        if (model == null && (mode.equals("host-model") || mode.equals("host-passthrough") || mode.equals("maximum"))) {
            model = HOST_CPU;
        }
        int sockets = vcpus;
        int cores = 1;
        int threads = 1;
        Element topology = child(cpu, "topology");
        if (topology != null) {
            sockets = positive(topology.getAttribute("sockets"), 1);
            cores = positive(topology.getAttribute("dies"), 1) * positive(topology.getAttribute("cores"), 1);
            threads = positive(topology.getAttribute("threads"), 1);
        }
        return new Cpu(model, text(child(cpu, "vendor")), sockets, cores, threads, 0);
    }

    private static int maxVcpus(Element domain) {
        Element vcpu = child(domain, "vcpu");
        return vcpu == null ? 1 : positive(vcpu.getTextContent(), 1);
    }

    /** {@code <memory unit='…'>n</memory>} in KiB (libvirt's units; no unit means KiB). */
    static long memoryKiB(Element memory) {
        String value = text(memory);
        if (value == null) {
            return 0;
        }
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
        String unit = memory.getAttribute("unit").trim();
        long bytesPerUnit;
        switch (unit.isEmpty() ? "kib" : unit.toLowerCase(Locale.ROOT)) {
            case "b": case "bytes": bytesPerUnit = 1; break;
            case "kb": bytesPerUnit = 1_000L; break;
            case "k": case "kib": bytesPerUnit = 1L << 10; break;
            case "mb": bytesPerUnit = 1_000_000L; break;
            case "m": case "mib": bytesPerUnit = 1L << 20; break;
            case "gb": bytesPerUnit = 1_000_000_000L; break;
            case "g": case "gib": bytesPerUnit = 1L << 30; break;
            case "tb": bytesPerUnit = 1_000_000_000_000L; break;
            case "t": case "tib": bytesPerUnit = 1L << 40; break;
            case "pb": bytesPerUnit = 1_000_000_000_000_000L; break;
            case "p": case "pib": bytesPerUnit = 1L << 50; break;
            case "eb": bytesPerUnit = 1_000_000_000_000_000_000L; break;
            case "e": case "eib": bytesPerUnit = 1L << 60; break;
            default: return 0;
        }
        try {
            if (bytesPerUnit % 1024 == 0) {
                return Math.max(0, Math.multiplyExact(n, bytesPerUnit / 1024));
            }
            return Math.max(0, Math.multiplyExact(n, bytesPerUnit) / 1024);   // decimal units: rounded down
        } catch (ArithmeticException e) {
            return 0;
        }
    }

    private static List<Disk> disks(Element devices) {
        List<Disk> list = new ArrayList<>();
        for (Element disk : children(devices, "disk")) {
            String device = disk.getAttribute("device").trim();
            boolean cdrom = device.equals("cdrom");
            if (!cdrom && !device.isEmpty() && !device.equals("disk") && !device.equals("lun")) {
                continue;   // floppy
            }
            Element target = child(disk, "target");
            String dev = target == null ? null : attr(target, "dev");
            String source = diskSource(child(disk, "source"));
            list.add(new Disk(dev, target == null ? null : attr(target, "bus"), cdrom, source, 0,
                    text(child(disk, "serial"))));
        }
        return list;
    }

    private static String diskSource(Element source) {
        if (source == null) {
            return null;
        }
        for (String a : new String[] {"file", "dev", "dir"}) {
            String v = attr(source, a);
            if (v != null) {
                return v;
            }
        }
        String volume = attr(source, "volume");
        if (volume != null) {
            String pool = attr(source, "pool");
            return pool == null ? volume : pool + '/' + volume;
        }
        return attr(source, "name");   // network disks (rbd, iscsi, nbd…): never the host/auth parts
    }

    private static List<Nic> nics(Element devices) {
        List<Nic> list = new ArrayList<>();
        for (Element nic : children(devices, "interface")) {
            Element mac = child(nic, "mac");
            String address = mac == null ? null : attr(mac, "address");
            Element model = child(nic, "model");
            Element source = child(nic, "source");
            String network = null;
            if (source != null) {
                network = attr(source, "network");
                if (network == null) {
                    network = attr(source, "bridge");
                }
                if (network == null) {
                    network = attr(source, "dev");
                }
            }
            Element link = child(nic, "link");
            boolean up = link == null || !"down".equalsIgnoreCase(link.getAttribute("state").trim());
            list.add(new Nic(address == null ? null : address.toLowerCase(Locale.ROOT),
                    model == null ? null : attr(model, "type"), network, up));
        }
        return list;
    }

    /** An SMBIOS date (mm/dd/yyyy; mm/dd/yy = 19yy per the SMBIOS spec) or an ISO date as yyyy-mm-dd, else null. */
    static String isoDate(String date) {
        if (date == null) {
            return null;
        }
        int y;
        int m;
        int d;
        Matcher smbios = SMBIOS_DATE.matcher(date.trim());
        Matcher iso = ISO_DATE.matcher(date.trim());
        if (smbios.matches()) {
            m = Integer.parseInt(smbios.group(1));
            d = Integer.parseInt(smbios.group(2));
            y = Integer.parseInt(smbios.group(3));
            if (smbios.group(3).length() == 2) {
                y += 1900;
            }
        } else if (iso.matches()) {
            y = Integer.parseInt(iso.group(1));
            m = Integer.parseInt(iso.group(2));
            d = Integer.parseInt(iso.group(3));
        } else {
            return null;
        }
        try {
            return LocalDate.of(y, m, d).toString();
        } catch (DateTimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- DOM (hardened parsing and walking in DomainXml)

    private static List<Element> children(Element parent, String name) {
        return DomainXml.children(parent, name);
    }

    private static Element child(Element parent, String name) {
        return DomainXml.child(parent, name);
    }

    /** {@code <entry name='…'>value</entry>} in a sysinfo block; blank is null. */
    private static String entry(Element block, String name) {
        for (Element e : children(block, "entry")) {
            if (name.equals(e.getAttribute("name"))) {
                return text(e);
            }
        }
        return null;
    }

    /** Trimmed text content; null when missing or blank. */
    private static String text(Element e) {
        if (e == null) {
            return null;
        }
        String s = e.getTextContent().trim();
        return s.isEmpty() ? null : s;
    }

    /** Trimmed attribute; null when missing or blank. */
    private static String attr(Element e, String name) {
        String s = e.getAttribute(name).trim();
        return s.isEmpty() ? null : s;
    }

    private static int positive(String s, int fallback) {
        try {
            int n = Integer.parseInt(s.trim());
            return n > 0 ? n : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
