package org.vamt.libvirt.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.vamt.hypervisor.HypervisorException;
import org.w3c.dom.Element;

/**
 * What the host's own SMBIOS tells about its processor and memory ({@code virConnectGetSysinfo},
 * which libvirt fills from dmidecode on a real host): the processor's maximum and external clock
 * and stepping, and the memory speed. A VM's CPU and memory run at the host's, so AMT's CIM_Processor
 * and CIM_PhysicalMemory report them. Entries that are missing (libvirt's test driver reports only
 * a BIOS) or unparsable stay unknown: 0 / null.
 *
 * @param maxMhz     the first processor's "max_speed" in MHz, or 0
 * @param busMhz     the first processor's "external_clock" in MHz, or 0
 * @param stepping   the stepping of the first processor's "signature" (e.g. "Type 0, Family 6,
 *                   Model 158, Stepping 13" gives "13"), or null
 * @param memoryMhz  the first populated memory device's "speed" in MHz (MT/s), or 0
 */
record HostSmbios(int maxMhz, int busMhz, String stepping, int memoryMhz) {
    static final HostSmbios UNKNOWN = new HostSmbios(0, 0, null, 0);
    private static final Pattern NUMBER = Pattern.compile("^\\s*(\\d{1,6})\\b");
    private static final Pattern STEPPING = Pattern.compile("Stepping\\s+(\\w{1,8})");

    /** Parses libvirt's {@code <sysinfo type='smbios'>}; FAILED when it is not XML. */
    static HostSmbios parse(String sysinfoXml) throws HypervisorException {
        Element root = DomainXml.parse(sysinfoXml, "host sysinfo").getDocumentElement();
        int maxMhz = 0;
        int busMhz = 0;
        String stepping = null;
        Element processor = DomainXml.child(root, "processor");
        if (processor != null) {
            maxMhz = number(entry(processor, "max_speed"));
            busMhz = number(entry(processor, "external_clock"));
            String signature = entry(processor, "signature");
            Matcher m = signature == null ? null : STEPPING.matcher(signature);
            stepping = m != null && m.find() ? m.group(1) : null;
        }
        int memoryMhz = 0;
        for (Element device : DomainXml.children(root, "memory_device")) {
            memoryMhz = number(entry(device, "speed"));   // "2667 MT/s"; "Unknown" for empty slots
            if (memoryMhz > 0) {
                break;
            }
        }
        return new HostSmbios(maxMhz, busMhz, stepping, memoryMhz);
    }

    private static String entry(Element parent, String name) {
        for (Element e : DomainXml.children(parent, "entry")) {
            if (name.equals(e.getAttribute("name"))) {
                return e.getTextContent().trim();
            }
        }
        return null;
    }

    private static int number(String text) {
        Matcher m = text == null ? null : NUMBER.matcher(text);
        return m != null && m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
