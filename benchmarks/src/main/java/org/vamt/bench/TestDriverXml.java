package org.vamt.bench;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a libvirt test-driver node with {@code count} running domains shaped like the demo's
 * desktop-01 (SMBIOS sysinfo, 4 vCPUs, 4 GiB, one disk, one NIC), for the scale runs.
 *
 * <pre>java -cp benchmarks/target/classes org.vamt.bench.TestDriverXml count output.xml [node]</pre>
 *
 * {@code node} (0-9999, default 0) goes into every UUID and MAC, so that the test drivers of several
 * scale-out nodes hold different VMs (a UUID belongs to one node): UUID {@code 7a1dNNNN-...-000000nnnnnn}.
 */
public final class TestDriverXml {
    private TestDriverXml() {
    }

    public static void main(String[] args) throws IOException {
        int count = Integer.parseInt(args[0]);
        int node = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        try (Writer w = Files.newBufferedWriter(Path.of(args[1]))) {
            w.write("<node>\n  <cpu><mhz>2400</mhz><model>x86_64</model><active>16</active><maxcpus>16</maxcpus>"
                    + "<nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>2</threads></cpu>\n"
                    + "  <memory>1073741824</memory>\n");
            for (int i = 1; i <= count; i++) {
                String n = String.format("%06d", i);
                String mac = String.format("52:54:%02x:b0:%02x:%02x", node & 0xff, i >> 8 & 0xff, i & 0xff);
                w.write("  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
                        + "    <name>vm-" + n + "</name>\n"
                        + "    <uuid>" + uuid(node, i) + "</uuid>\n"
                        + "    <memory unit='KiB'>4194304</memory><currentMemory unit='KiB'>4194304</currentMemory>\n"
                        + "    <vcpu placement='static' current='2'>4</vcpu>\n"
                        + "    <sysinfo type='smbios'><bios><entry name='vendor'>EDK II</entry>"
                        + "<entry name='version'>2022.11</entry><entry name='date'>02/08/2023</entry></bios>"
                        + "<system><entry name='manufacturer'>vAMT</entry><entry name='product'>Scale VM</entry>"
                        + "<entry name='serial'>SCALE-" + n + "</entry></system>"
                        + "<baseBoard><entry name='manufacturer'>vAMT</entry><entry name='product'>Scale Board</entry>"
                        + "<entry name='serial'>SCALE-BB-" + n + "</entry></baseBoard>"
                        + "<chassis><entry name='manufacturer'>vAMT</entry><entry name='serial'>SCALE-CH-" + n
                        + "</entry></chassis></sysinfo>\n"
                        + "    <os firmware='efi'><type arch='x86_64'>hvm</type><boot dev='hd'/><smbios mode='sysinfo'/></os>\n"
                        + "    <cpu mode='custom' match='exact'><model fallback='allow'>Skylake-Client</model>"
                        + "<vendor>Intel</vendor><topology sockets='1' cores='2' threads='2'/></cpu>\n"
                        + "    <devices><disk type='file' device='disk'><source file='/var/lib/vamt/images/vm-" + n
                        + ".qcow2'/><target dev='vda' bus='virtio'/><serial>SCALE-DISK-" + n + "</serial></disk>"
                        + "<interface type='network'><mac address='" + mac + "'/><source network='default'/>"
                        + "<model type='e1000'/></interface></devices>\n"
                        + "  </domain>\n");
            }
            w.write("</node>\n");
        }
    }

    /** The UUID of VM {@code i} (from 1) of node {@code node}. */
    static String uuid(int node, int i) {
        return String.format("7a1d%04d-0000-4000-8000-000000%06d", node, i);
    }
}
