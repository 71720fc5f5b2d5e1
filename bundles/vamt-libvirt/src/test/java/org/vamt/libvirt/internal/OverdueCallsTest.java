package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The counting and the probe, with a probe that answers when the test lets it. */
class OverdueCallsTest {
    private static final long PROBE_TIMEOUT_MS = 200;

    private final CountDownLatch daemonRuns = new CountDownLatch(1);
    private final AtomicInteger probes = new AtomicInteger();
    private final OverdueCalls frozenDaemon = new OverdueCalls("test+unix:///default", PROBE_TIMEOUT_MS, () -> {
        probes.incrementAndGet();
        daemonRuns.await();
    });
    private final OverdueCalls slowCallOnly = new OverdueCalls("test+unix:///default", PROBE_TIMEOUT_MS,
            probes::incrementAndGet);

    @AfterEach
    void thaw() {
        daemonRuns.countDown();
    }

    @Test
    void aCallThatOverranCountsOnceUntilItReturns() {
        OverdueCalls.Call call = slowCallOnly.start();
        call.overran("listMachines");
        call.overran("listMachines");
        assertEquals(1, slowCallOnly.count());
        call.returned();
        assertEquals(0, slowCallOnly.count());
        call.returned();
        assertEquals(0, slowCallOnly.count());
    }

    @Test
    void aCallThatReturnedBeforeItsCallerGaveUpIsNotCounted() {
        OverdueCalls.Call call = slowCallOnly.start();
        call.returned();
        call.overran("late");
        assertEquals(0, slowCallOnly.count());
        assertEquals(0, probes.get(), "nothing overran: no probe");
    }

    @Test
    void aSlowCallOnARunningDaemonRefusesNothing() throws InterruptedException {
        OverdueCalls.Call call = slowCallOnly.start();
        call.overran("startMachine");
        Thread.sleep(PROBE_TIMEOUT_MS * 3);
        assertEquals(1, probes.get());
        assertFalse(slowCallOnly.frozen(), "the probe was answered: libvirtd runs, the call is only slow");
        assertEquals(1, slowCallOnly.count());
    }

    @Test
    void anUnansweredProbeFreezesUntilItIsAnswered() throws InterruptedException {
        OverdueCalls.Call a = frozenDaemon.start();
        OverdueCalls.Call b = frozenDaemon.start();
        a.overran("a");
        b.overran("b");
        awaitFrozen(frozenDaemon, true);
        assertEquals(1, probes.get(), "one probe out at a time");
        assertEquals(2, frozenDaemon.count());

        daemonRuns.countDown();
        awaitFrozen(frozenDaemon, false);
        a.returned();
        b.returned();
        assertEquals(0, frozenDaemon.count());
    }

    private static void awaitFrozen(OverdueCalls calls, boolean frozen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (calls.frozen() != frozen) {
            assertTrue(System.nanoTime() < deadline, "frozen() became " + frozen + " within 5 s");
            Thread.sleep(5);
        }
    }
}
