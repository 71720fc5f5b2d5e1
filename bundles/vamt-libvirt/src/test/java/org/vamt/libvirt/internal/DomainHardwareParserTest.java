package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Cpu;
import org.vamt.hypervisor.MachineHardware.Disk;
import org.vamt.hypervisor.MachineHardware.Firmware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.hypervisor.MachineHardware.SmbiosInfo;

/** {@link DomainHardwareParser} on domain XML variants, without libvirt. */
class DomainHardwareParserTest {

    private static String domain(String body) {
        return "<domain type='kvm'>\n  <name>t</name>\n  <uuid>11111111-2222-4333-8444-555555555555</uuid>\n"
                + body + "\n</domain>";
    }

    @Test
    void minimalBiosMachineWithoutSysinfoOrCpu() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain(
                "<memory unit='MiB'>1024</memory><vcpu placement='static' current='1'>3</vcpu>"
                        + "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><boot dev='hd'/></os>"
                        + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"));
        assertEquals(new Firmware("SeaBIOS", null, null, false), hw.firmware());
        assertNull(hw.system());
        assertNull(hw.baseboard());
        assertNull(hw.chassis());
        assertEquals(new Cpu(null, null, 3, 1, 1, 0), hw.cpu(), "no topology: one socket per vCPU");
        assertEquals(1024 * 1024, hw.memoryKiB());
        assertEquals(List.of(), hw.disks());
        assertEquals(List.of(), hw.nics());
    }

    @Test
    void uefiByFirmwareAttributeWithFullSysinfo() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain(
                "<memory unit='KiB'>4194304</memory><vcpu>4</vcpu>"
                        + "<sysinfo type='fwcfg'><entry name='opt/com.example/x'>ignored</entry></sysinfo>"
                        + "<sysinfo type='smbios'>"
                        + "<bios><entry name='vendor'>EFI Development Kit II / OVMF</entry>"
                        + "<entry name='version'>0.0.0</entry><entry name='date'>02/06/2015</entry></bios>"
                        + "<system><entry name='manufacturer'>Acme</entry><entry name='product'>Desk 9</entry>"
                        + "<entry name='version'>2.1</entry><entry name='serial'> SN-1 </entry>"
                        + "<entry name='uuid'>11111111-2222-4333-8444-555555555555</entry>"
                        + "<entry name='sku'>SKU-9</entry><entry name='family'>Desk</entry></system>"
                        + "<baseBoard><entry name='manufacturer'>Acme</entry><entry name='product'>MB-9</entry>"
                        + "<entry name='version'>B1</entry><entry name='serial'>BB-1</entry>"
                        + "<entry name='asset'>A-77</entry><entry name='location'>slot 0</entry></baseBoard>"
                        + "<chassis><entry name='manufacturer'>Acme</entry><entry name='serial'>CH-1</entry>"
                        + "<entry name='asset'></entry><entry name='sku'>Tower</entry></chassis>"
                        + "</sysinfo>"
                        + "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
                        + "<firmware><feature enabled='yes' name='secure-boot'/></firmware>"
                        + "<smbios mode='sysinfo'/></os>"));
        assertEquals(new Firmware("EFI Development Kit II / OVMF", "0.0.0", "2015-02-06", true), hw.firmware());
        assertEquals(new SmbiosInfo("Acme", "Desk 9", "2.1", "SN-1", "SKU-9"), hw.system(),
                "type 1 has no asset tag: the SKU stands in");
        assertEquals(new SmbiosInfo("Acme", "MB-9", "B1", "BB-1", "A-77"), hw.baseboard());
        assertEquals(new SmbiosInfo("Acme", null, null, "CH-1", "Tower"), hw.chassis(), "blank asset: SKU");
    }

    @Test
    void uefiByOvmfLoaderWithoutBiosEntries() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain(
                "<memory>2097152</memory><vcpu>2</vcpu>"
                        + "<sysinfo type='smbios'><system><entry name='serial'>S</entry></system></sysinfo>"
                        + "<os><type arch='x86_64' machine='q35'>hvm</type>"
                        + "<loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>"
                        + "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/var/lib/libvirt/qemu/nvram/t_VARS.fd</nvram>"
                        + "</os>"));
        assertEquals(new Firmware("EDK II", null, null, true), hw.firmware());
        assertEquals(new SmbiosInfo(null, null, null, "S", null), hw.system());
        assertNull(hw.baseboard());
        assertEquals(2097152, hw.memoryKiB(), "no unit: KiB");

        Firmware edk2 = DomainHardwareParser.parse(domain("<os><type>hvm</type>"
                + "<loader type='pflash'>/usr/share/qemu/edk2-x86_64-code.fd</loader></os>")).firmware();
        assertTrue(edk2.uefi());
        assertEquals("EDK II", edk2.vendor());
    }

    @Test
    void seaBiosWithSmbiosBiosEntries() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain(
                "<sysinfo type='smbios'><bios><entry name='vendor'>SeaBIOS</entry>"
                        + "<entry name='version'>1.16.2-debian-1.16.2-1</entry><entry name='date'>04/01/2014</entry>"
                        + "</bios></sysinfo>"
                        + "<os><type>hvm</type><loader type='rom'>/usr/share/seabios/bios-256k.bin</loader></os>"));
        assertEquals(new Firmware("SeaBIOS", "1.16.2-debian-1.16.2-1", "2014-04-01", false), hw.firmware());
        assertNull(hw.system(), "a sysinfo with only a bios block");
        assertEquals(new Cpu(null, null, 1, 1, 1, 0), hw.cpu(), "no <vcpu>: one");
        assertEquals(0, hw.memoryKiB());
    }

    @Test
    void smbiosDates() {
        assertEquals("2014-04-01", DomainHardwareParser.isoDate("04/01/2014"));
        assertEquals("2023-02-08", DomainHardwareParser.isoDate(" 2/8/2023 "));
        assertEquals("1999-12-31", DomainHardwareParser.isoDate("12/31/99"), "two-digit years are 19yy (SMBIOS)");
        assertEquals("2023-02-08", DomainHardwareParser.isoDate("2023-02-08"));
        assertNull(DomainHardwareParser.isoDate("13/01/2020"));
        assertNull(DomainHardwareParser.isoDate("02/30/2020"));
        assertNull(DomainHardwareParser.isoDate("yesterday"));
        assertNull(DomainHardwareParser.isoDate(null));
    }

    @Test
    void cpuModelsAndTopology() throws Exception {
        assertEquals(new Cpu("Skylake-Client-IBRS", "Intel", 1, 4, 2, 0), cpu("<vcpu>8</vcpu>"
                + "<cpu mode='custom' match='exact' check='partial'><model fallback='forbid'>Skylake-Client-IBRS</model>"
                + "<vendor>Intel</vendor><topology sockets='1' dies='1' cores='4' threads='2'/>"
                + "<feature policy='require' name='ssbd'/></cpu>"));
        assertEquals(new Cpu("EPYC", null, 2, 4, 1, 0), cpu("<vcpu>16</vcpu>"
                + "<cpu><model>EPYC</model><topology sockets='2' dies='2' cores='2' threads='1'/></cpu>"),
                "dies x cores = cores per socket");
        assertEquals(new Cpu("host", null, 1, 2, 1, 0), cpu("<vcpu>2</vcpu>"
                + "<cpu mode='host-passthrough' check='none' migratable='on'><topology sockets='1' cores='2' threads='1'/></cpu>"));
        assertEquals(new Cpu("host", null, 4, 1, 1, 0), cpu("<vcpu>4</vcpu><cpu mode='host-model'/>"));
        assertEquals(new Cpu("Haswell-noTSX", null, 4, 1, 1, 0), cpu("<vcpu>4</vcpu>"
                + "<cpu mode='host-model'><model fallback='allow'>Haswell-noTSX</model></cpu>"));
        assertEquals(new Cpu(null, null, 1, 2, 1, 0), cpu("<vcpu>2</vcpu>"
                + "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>"), "topology only: model unknown");
        assertEquals(new Cpu(null, null, 1, 1, 1, 0), cpu("<vcpu>4</vcpu>"
                + "<cpu><topology sockets='x' cores='0'/></cpu>"), "nonsense topology: 1s");
    }

    private static Cpu cpu(String body) throws HypervisorException {
        return DomainHardwareParser.parse(domain(body)).cpu();
    }

    @Test
    void memoryUnits() throws Exception {
        assertEquals(1024, memory("<memory unit='MiB'>1</memory>"));
        assertEquals(1024, memory("<memory unit='M'>1</memory>"));
        assertEquals(2 * 1024 * 1024, memory("<memory unit='GiB'>2</memory>"));
        assertEquals(2 * 1024 * 1024, memory("<memory unit='G'>2</memory>"));
        assertEquals(1L << 30, memory("<memory unit='TiB'>1</memory>"));
        assertEquals(512, memory("<memory unit='k'>512</memory>"));
        assertEquals(512, memory("<memory unit='KiB'>512</memory>"));
        assertEquals(4, memory("<memory unit='b'>4096</memory>"));
        assertEquals(4, memory("<memory unit='bytes'>4096</memory>"));
        assertEquals(976562, memory("<memory unit='GB'>1</memory>"));
        assertEquals(976, memory("<memory unit='MB'>1</memory>"));
        assertEquals(500, memory("<memory unit='KB'>512</memory>"));
        assertEquals(0, memory("<memory unit='parsecs'>1</memory>"));
        assertEquals(0, memory("<memory>lots</memory>"));
        assertEquals(0, memory("<memory unit='EiB'>99999</memory>"));
    }

    private static long memory(String body) throws HypervisorException {
        return DomainHardwareParser.parse(domain(body)).memoryKiB();
    }

    @Test
    void disksAndCdroms() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain("<devices>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                + "<source file='/var/lib/libvirt/images/t.qcow2' index='2'/>"
                + "<backingStore type='file' index='3'><format type='raw'/><source file='/base.img'/></backingStore>"
                + "<target dev='vda' bus='virtio'/><serial>WD-123</serial></disk>"
                + "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/>"
                + "<readonly/></disk>"
                + "<disk type='block' device='disk'><source dev='/dev/vg0/data'/><target dev='sdb' bus='scsi'/></disk>"
                + "<disk type='volume' device='disk'><source pool='default' volume='vol1.qcow2'/>"
                + "<target dev='vdb' bus='virtio'/></disk>"
                + "<disk type='network' device='disk'><source protocol='rbd' name='rbdpool/img'>"
                + "<host name='ceph' port='6789'/></source>"
                + "<auth username='admin'><secret type='ceph' usage='client.admin secret'/></auth>"
                + "<target dev='vdc' bus='virtio'/></disk>"
                + "<disk type='file' device='floppy'><source file='/f.img'/><target dev='fda' bus='fdc'/></disk>"
                + "<disk type='file' device='lun'><source file='/dev/sdz'/><target dev='sdc' bus='scsi'/></disk>"
                + "</devices>"));
        assertEquals(List.of(
                new Disk("vda", "virtio", false, "/var/lib/libvirt/images/t.qcow2", 0, "WD-123"),
                new Disk("sda", "sata", true, null, 0, null),
                new Disk("sdb", "scsi", false, "/dev/vg0/data", 0, null),
                new Disk("vdb", "virtio", false, "default/vol1.qcow2", 0, null),
                new Disk("vdc", "virtio", false, "rbdpool/img", 0, null),
                new Disk("sdc", "scsi", false, "/dev/sdz", 0, null)), hw.disks(), "no floppy, in order");
    }

    @Test
    void nicsWithLinkStateAndSources() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse(domain("<devices>"
                + "<interface type='network'><mac address='52:54:00:AB:CD:EF'/><source network='default'/>"
                + "<model type='virtio'/><link state='down'/></interface>"
                + "<interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/>"
                + "<model type='e1000e'/><link state='up'/></interface>"
                + "<interface type='direct'><mac address='52:54:00:00:00:03'/><source dev='eth0' mode='bridge'/>"
                + "</interface>"
                + "<interface type='user'><model type='rtl8139'/></interface>"
                + "</devices>"));
        assertEquals(List.of(
                new Nic("52:54:00:ab:cd:ef", "virtio", "default", false),
                new Nic("52:54:00:00:00:02", "e1000e", "br0", true),
                new Nic("52:54:00:00:00:03", null, "eth0", true),
                new Nic(null, "rtl8139", null, true)), hw.nics());
    }

    @Test
    void namespacedAndUnknownElementsAreIgnored() throws Exception {
        MachineHardware hw = DomainHardwareParser.parse("<?xml version='1.0'?>\n"
                + "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
                + "<metadata><v:cpu xmlns:v='urn:x'><model>fake</model></v:cpu></metadata>"
                + "<vcpu>2</vcpu><test:runstate>5</test:runstate><memory unit='GiB'>1</memory>"
                + "<devices><graphics type='vnc' port='-1'/>"
                + "<interface type='network'><mac address='52:54:00:00:00:09'/><source network='n'/></interface>"
                + "</devices></domain>");
        assertNull(hw.cpu().model());
        assertEquals(1024 * 1024, hw.memoryKiB());
        assertEquals(List.of(new Nic("52:54:00:00:00:09", null, "n", true)), hw.nics());
    }

    // ---------------------------------------------------------------- bad input and hardening

    @Test
    void notADomainOrNotXml() {
        assertEquals(Reason.FAILED, reason("<network><name>x</name></network>"));
        assertEquals(Reason.FAILED, reason("<domain><name>x</domain>"));
        assertEquals(Reason.FAILED, reason(""));
        assertEquals(Reason.FAILED, reason(null));
    }

    @Test
    void doctypeAndExternalEntitiesAreRefused(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.write(secret, "TOP-SECRET-VALUE".getBytes(StandardCharsets.UTF_8));
        String xxe = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY s SYSTEM '" + secret.toUri() + "'>]>"
                + "<domain><name>&s;</name><devices><disk device='disk'><serial>&s;</serial>"
                + "<target dev='vda'/></disk></devices></domain>";
        HypervisorException e = assertThrows(HypervisorException.class, () -> DomainHardwareParser.parse(xxe));
        assertEquals(Reason.FAILED, e.reason());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertFalse(e.getMessage().contains("TOP-SECRET-VALUE"), e.getMessage());

        String laughs = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>"
                + "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
                + "<domain><devices><disk device='disk'><serial>&c;</serial></disk></devices></domain>";
        assertEquals(Reason.FAILED, reason(laughs));

        String externalDtd = "<?xml version='1.0'?><!DOCTYPE domain SYSTEM '" + secret.toUri() + "'><domain/>";
        assertEquals(Reason.FAILED, reason(externalDtd));

        String xinclude = "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><devices><disk device='disk'>"
                + "<serial><xi:include href='" + secret.toUri() + "' parse='text'/></serial></disk></devices></domain>";
        assertNull(DomainHardwareParser.parse(xinclude).disks().get(0).serial(), "XInclude is not processed");
    }

    private static Reason reason(String xml) {
        return assertThrows(HypervisorException.class, () -> DomainHardwareParser.parse(xml)).reason();
    }
}
