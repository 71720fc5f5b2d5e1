package org.vamt.provider.time.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;
import static org.vamt.libvirt.internal.DemoHypervisor.KIOSK;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.RequestContext;
import org.vamt.libvirt.internal.DemoHypervisor;

/** The VM firmware clock against the real libvirt test driver (offset kept as typed per-VM state). */
class TimeSynchronizationProviderTest {
    private static final long NOW = 1_800_000_000L;
    private DemoHypervisor demo;
    private TimeSynchronizationProvider provider;
    private final CimObjectPath service = CimObjectPath.of("AMT_TimeSynchronizationService");

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        provider = new TimeSynchronizationProvider(demo.hypervisor(), Clock.fixed(Instant.ofEpochSecond(NOW),
                ZoneOffset.UTC));
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    private static RequestContext vm(String uuid) {
        return new RequestContext(uuid, "vm", "admin", "Digest:X");
    }

    private long read(String uuid) throws Exception {
        return (Long) provider.invokeMethod(vm(uuid), service, "GetLowAccuracyTimeSynch", java.util.Map.of())
                .outputs().get("Ta0");
    }

    @Test
    void timeSourceIsAmtsZero() throws Exception {
        assertEquals(0L, provider.enumerateInstances(vm(DESKTOP_01), "AMT_TimeSynchronizationService").get(0)
                .get("TimeSource"));
    }

    @Test
    void clockIsTheHostsUntilAConsoleSetsItAndThenKeepsTheOffsetPerVm() throws Exception {
        assertEquals(NOW, read(DESKTOP_01));
        long consoleTime = NOW + 3600;
        assertEquals(0, provider.SetHighAccuracyTimeSynch(vm(DESKTOP_01), service, NOW, consoleTime - 1, consoleTime)
                .returnValue());
        assertEquals(consoleTime, read(DESKTOP_01));
        assertEquals(NOW, read(KIOSK), "another VM keeps its own clock");
        TimeSynchronizationProvider restarted = new TimeSynchronizationProvider(demo.hypervisor(),
                Clock.fixed(Instant.ofEpochSecond(NOW + 10), ZoneOffset.UTC));
        assertEquals(consoleTime + 10, (Long) restarted.invokeMethod(vm(DESKTOP_01), service,
                "GetLowAccuracyTimeSynch", java.util.Map.of()).outputs().get("Ta0"), "the offset survives the provider");
    }

    @Test
    void anOldFormatOffsetIsMigratedAndABadOneIsAClearError() throws Exception {
        demo.putLegacy(DESKTOP_01, org.vamt.provider.time.FirmwareClock.LEGACY_KEY, "-120");
        assertEquals(NOW - 120, read(DESKTOP_01));
        assertEquals("{\"offsetSeconds\":-120}",
                demo.hypervisor().readState(DESKTOP_01, "time", java.util.Set.of()).json());
        assertFalse(demo.hypervisor().definitionXml(DESKTOP_01).contains("time.offsetSeconds"));
        demo.putLegacy(KIOSK, org.vamt.provider.time.FirmwareClock.LEGACY_KEY, "soon");
        org.vamt.cim.CimException e = org.junit.jupiter.api.Assertions.assertThrows(org.vamt.cim.CimException.class,
                () -> read(KIOSK));
        assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
        assertTrue(demo.hypervisor().definitionXml(KIOSK).contains("time.offsetSeconds"), "left as it was");
    }

    @Test
    void timestampsOutOfOrderAreInvalid() throws Exception {
        assertEquals(36, provider.SetHighAccuracyTimeSynch(vm(DESKTOP_01), service, NOW, NOW + 5, NOW).returnValue());
        assertEquals(NOW, read(DESKTOP_01));
    }
}
