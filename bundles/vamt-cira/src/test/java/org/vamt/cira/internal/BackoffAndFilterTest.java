package org.vamt.cira.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The fleet's retry delays (exponential, jittered, capped) and its VM name filter. */
class BackoffAndFilterTest {

    @Test
    void delaysDoubleWithHalfOfThemRandomAndStopAtTheCap() {
        for (int failures = 1; failures <= 40; failures++) {
            long nominal = Math.min(300_000L, 2_000L << Math.min(failures - 1, 30));
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                long d = CiraManager.backoffMillis(failures, 2, 300);
                assertTrue(d >= nominal / 2 && d <= nominal, failures + " failures: " + d + " ms of " + nominal);
                seen.add(d);
            }
            assertTrue(seen.size() > 50, "jittered: a restarting MPS is not hit by every VM at once");
        }
        assertTrue(CiraManager.backoffMillis(1, 2, 300) <= 2_000);
        assertTrue(CiraManager.backoffMillis(100, 2, 300) >= 150_000);
    }

    @Test
    void theVmFilterTakesNamesAndGlobs() {
        assertNull(CiraManager.globs("*"), "all");
        Pattern p = CiraManager.globs("desktop-0?, kiosk*,build.server");
        assertTrue(p.matcher("desktop-01").matches());
        assertTrue(p.matcher("kiosk-7").matches());
        assertTrue(p.matcher("build.server").matches());
        assertFalse(p.matcher("buildXserver").matches(), "a dot is a dot");
        assertFalse(p.matcher("desktop-011").matches());
        assertEquals(false, CiraManager.globs(" , ").matcher("anything").matches(), "an empty list names no VM");
    }
}
