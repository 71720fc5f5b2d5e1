package org.vamt.libvirt.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.libvirt.Domain;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.OperationDeadline;
import org.vamt.metrics.Metrics;

/**
 * The libvirt connection's state and the VMs by power state, as gauges read at each scrape:
 * {@code vamt.hypervisor.connected}, {@code .frozen} (a call overran and libvirtd left the probe unanswered),
 * {@code .overdue.calls}, {@code .call.threads} and {@code .connections} (opened since start: more than one
 * means reconnects), and {@code vamt.vms{state=running|paused|shut_off|other}}. The VM counts cost no call per
 * scrape and none per VM: they are counted again (four listAllDomains calls with libvirt's state filters, under
 * a 2 s deadline) only after a lifecycle event, a reconnection, or a minute, and not while libvirtd is away or
 * frozen (the last counts stay).
 */
final class LibvirtMeters implements MachineListener, AutoCloseable {
    static final String VMS = "vamt.vms";
    /** libvirt's virConnectListAllDomainsFlags: RUNNING, PAUSED, SHUTOFF, OTHER. */
    private static final int[] STATE_FLAGS = {1 << 4, 1 << 5, 1 << 6, 1 << 7};
    private static final String[] STATE_LABELS = {"running", "paused", "shut_off", "other"};
    private static final long MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long COUNT_DEADLINE_MS = 2_000;

    private final Metrics metrics;
    private final Supplier<LibvirtConnection> connection;
    private final List<Metrics.Registration> gauges = new ArrayList<>();
    private volatile boolean stale = true;
    private final int[] counts = new int[STATE_FLAGS.length];   // guarded by this
    private long countedAt;                                   // guarded by this
    private long countedGeneration;                           // guarded by this

    LibvirtMeters(Metrics metrics, Supplier<LibvirtConnection> connection) {
        this.metrics = metrics;
        this.connection = connection;
        gauges.add(metrics.gauge("vamt.hypervisor.connected", "1 while the libvirt connection is open and alive",
                () -> with(c -> c.isConnected() ? 1 : 0)));
        gauges.add(metrics.gauge("vamt.hypervisor.frozen", "1 while libvirtd counts as frozen (calls refused at once)",
                () -> with(c -> c.frozen() ? 1 : 0)));
        gauges.add(metrics.gauge("vamt.hypervisor.overdue.calls", "libvirt calls past their operation's deadline, "
                + "still in libvirtd", () -> with(LibvirtConnection::overdueCalls)));
        gauges.add(metrics.gauge("vamt.hypervisor.call.threads", "Call threads held by libvirt calls",
                () -> with(LibvirtConnection::callThreadsHeld)));
        gauges.add(metrics.gauge("vamt.hypervisor.connections", "libvirt connections opened since start "
                + "(more than 1: reconnected)", () -> with(LibvirtConnection::generation)));
        for (int i = 0; i < STATE_FLAGS.length; i++) {
            int state = i;
            gauges.add(metrics.gauge(VMS, "Virtual machines by power state", () -> vms(state),
                    "state", STATE_LABELS[i]));
        }
    }

    Metrics metrics() {
        return metrics;
    }

    private double with(java.util.function.ToDoubleFunction<LibvirtConnection> read) {
        LibvirtConnection c = connection.get();
        return c == null ? 0 : read.applyAsDouble(c);
    }

    @Override
    public void machineChanged(MachineEvent event) {
        stale = true;
    }

    private synchronized double vms(int state) {
        LibvirtConnection c = connection.get();
        if (c != null && (stale || System.nanoTime() - countedAt > MAX_AGE_NANOS || c.generation() != countedGeneration)
                && c.isConnected() && !c.frozen()) {
            count(c);
        }
        return counts[state];
    }

    private void count(LibvirtConnection c) {
        stale = false;   // an event from now on asks again
        long generation = c.generation();
        OperationDeadline.Outcome<int[]> counted = OperationDeadline.run(COUNT_DEADLINE_MS, () -> c.call(
                "countMachines", "", connect -> {
                    int[] n = new int[STATE_FLAGS.length];
                    for (int i = 0; i < STATE_FLAGS.length; i++) {
                        Domain[] domains = connect.listAllDomains(STATE_FLAGS[i]);
                        n[i] = domains.length;
                        for (Domain d : domains) {
                            Domains.free(d);
                        }
                    }
                    return n;
                }));
        if (counted.result() != null && !counted.expired()) {
            System.arraycopy(counted.result(), 0, counts, 0, counts.length);
            countedAt = System.nanoTime();
            countedGeneration = generation;
        } else {
            stale = true;   // try again at the next scrape
        }
    }

    @Override
    public void close() {
        gauges.forEach(Metrics.Registration::close);
    }
}
