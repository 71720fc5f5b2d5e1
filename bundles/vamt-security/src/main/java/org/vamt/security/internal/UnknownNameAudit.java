package org.vamt.security.internal;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many failed logins with names that are no user of a VM reach its audit log: at most
 * {@code perWindow} records per VM in each window of {@code windowMillis}; the rest are counted and
 * summed up in the service log. A VM's audit log keeps only its newest records (AMT's roll-over),
 * so without this a flood of invented names, which needs no credentials, would roll the real
 * history out. Failures of real users are not limited here (the lockout bounds them).
 */
final class UnknownNameAudit {
    private static final Logger LOG = LoggerFactory.getLogger(UnknownNameAudit.class);
    private static final int MAX_TRACKED_VMS = 100_000;

    private static final class Window {
        long start;
        int recorded;
        long suppressed;
    }

    private final int perWindow;
    private final long windowMillis;
    private final Map<String, Window> byVm = new HashMap<>();

    UnknownNameAudit(int perWindow, long windowMillis) {
        this.perWindow = perWindow;
        this.windowMillis = windowMillis;
    }

    /** Whether this failure with an unknown name on {@code machineId} may be recorded now. */
    synchronized boolean mayRecord(String machineId, long nowMillis) {
        if (byVm.size() >= MAX_TRACKED_VMS) {
            byVm.values().removeIf(w -> nowMillis - w.start >= windowMillis && w.suppressed == 0);
        }
        Window w = byVm.computeIfAbsent(machineId, k -> new Window());
        if (nowMillis - w.start >= windowMillis) {
            if (w.suppressed > 0) {
                LOG.warn("VM {}: {} more failed logins with unknown user names in {} s were not audited one by one",
                        machineId, w.suppressed, windowMillis / 1000);
            }
            w.start = nowMillis;
            w.recorded = 0;
            w.suppressed = 0;
        }
        if (w.recorded < perWindow) {
            w.recorded++;
            return true;
        }
        w.suppressed++;
        return false;
    }
}
