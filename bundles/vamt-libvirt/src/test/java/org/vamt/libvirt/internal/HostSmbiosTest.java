package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vamt.hypervisor.HypervisorException;

/** {@link HostSmbios}: the host's processor and memory facts from libvirt's sysinfo document. */
class HostSmbiosTest {

    /** The shape libvirtd writes from dmidecode on an Intel desktop (values of our own). */
    static final String HOST = """
            <sysinfo type='smbios'>
              <bios><entry name='vendor'>Example</entry></bios>
              <processor>
                <entry name='socket_destination'>U3E1</entry>
                <entry name='type'>Central Processor</entry>
                <entry name='family'>Core i7</entry>
                <entry name='signature'>Type 0, Family 6, Model 158, Stepping 10</entry>
                <entry name='external_clock'>100 MHz</entry>
                <entry name='max_speed'>4700 MHz</entry>
              </processor>
              <memory_device>
                <entry name='size'>No Module Installed</entry>
                <entry name='speed'>Unknown</entry>
              </memory_device>
              <memory_device>
                <entry name='size'>16 GB</entry>
                <entry name='speed'>2667 MT/s</entry>
              </memory_device>
            </sysinfo>""";

    @Test
    void processorAndFirstPopulatedMemoryDevice() throws Exception {
        assertEquals(new HostSmbios(4700, 100, "10", 2667), HostSmbios.parse(HOST));
    }

    @Test
    void whatTheHostDoesNotTellStaysUnknown() throws Exception {
        // libvirt's test driver: a BIOS only
        assertEquals(HostSmbios.UNKNOWN, HostSmbios.parse(
                "<sysinfo type='smbios'><bios><entry name='vendor'>LENOVO</entry></bios></sysinfo>"));
        assertEquals(new HostSmbios(0, 0, null, 0), HostSmbios.parse(
                "<sysinfo type='smbios'><processor><entry name='max_speed'>Unknown</entry>"
                        + "<entry name='signature'>none</entry></processor></sysinfo>"));
        assertThrows(HypervisorException.class, () -> HostSmbios.parse("not xml"));
    }
}
