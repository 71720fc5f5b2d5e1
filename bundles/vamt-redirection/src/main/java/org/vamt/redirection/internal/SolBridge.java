package org.vamt.redirection.internal;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.SerialConsole;

/**
 * Serial-over-LAN for one session: guest output from the VM's serial console becomes 0x2A
 * messages, 0x28 payloads are typed into the console. A pump thread holds the console; when the
 * stream ends (the VM stopped) it tells the client the power is off (0x29), waits for the VM to
 * run again and reopens the console, so a session outlives guest reboots and power cycles.
 */
final class SolBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SolBridge.class);
    private static final long RETRY_MILLIS = 1000;

    private final Hypervisor hypervisor;
    private final String uuid;
    private final String who;
    private final SessionOutput out;
    private final AtomicInteger sequence;
    private final Thread pump;
    private volatile SerialConsole console;
    private volatile boolean closed;
    private Boolean reportedPower;

    SolBridge(Hypervisor hypervisor, String uuid, String who, SessionOutput out, AtomicInteger sequence) {
        this.hypervisor = hypervisor;
        this.uuid = uuid;
        this.who = who;
        this.out = out;
        this.sequence = sequence;
        this.pump = new Thread(this::pump, "vamt-sol-" + who);
        pump.setDaemon(true);
    }

    /**
     * Opens the console right away when the VM runs, so that what the client types right after the
     * SOL start reply reaches the guest, then starts the pump.
     */
    void start() {
        if (powered()) {
            try {
                console = hypervisor.openConsole(uuid);
            } catch (HypervisorException e) {
                LOG.debug("SOL {}: console not available yet: {}", who, e.getMessage());
            }
        }
        pump.start();
    }

    /** Types client input into the guest; dropped while the VM is off, as a powered-off serial port would. */
    void toGuest(byte[] data, int offset, int length) {
        SerialConsole c = console;
        if (c == null || length == 0) {
            return;
        }
        try {
            c.write(data, offset, length);
        } catch (IOException e) {
            LOG.debug("SOL {}: console write failed: {}", who, e.getMessage());
        }
    }

    private void pump() {
        byte[] buffer = new byte[Messages.MAX_SOL_CHUNK];
        try {
            while (!closed) {
                boolean on = powered();
                reportPower(on);
                if (!on) {
                    sleep();
                    continue;
                }
                SerialConsole c = console;
                if (c == null) {
                    try {
                        c = hypervisor.openConsole(uuid);
                    } catch (HypervisorException e) {
                        LOG.debug("SOL {}: console not available yet: {}", who, e.getMessage());
                        sleep();
                        continue;
                    }
                    console = c;
                }
                if (closed) {
                    c.close();
                    break;
                }
                LOG.info("SOL {}: bridged to the VM's serial console", who);
                try {
                    int n;
                    while ((n = c.read(buffer)) > 0) {
                        out.send(Messages.solData(sequence.getAndIncrement(), buffer, 0, n));
                    }
                } catch (IOException e) {
                    if (!closed) {
                        LOG.debug("SOL {}: console stream ended: {}", who, e.getMessage());
                    }
                } finally {
                    console = null;
                    c.close();
                }
                if (!closed) {
                    LOG.info("SOL {}: serial console stream ended (VM stopped or console taken over)", who);
                    sleep();
                }
            }
        } catch (IOException e) {
            LOG.debug("SOL {}: client gone: {}", who, e.getMessage());
        }
    }

    private boolean powered() {
        try {
            return hypervisor.machine(uuid).map(MachineInfo::state).map(s -> s.isOn()).orElse(false);
        } catch (HypervisorException e) {
            return false;
        }
    }

    /** 0x29 whenever the power state the client knows changes (and once at the start). */
    private void reportPower(boolean on) throws IOException {
        if (reportedPower == null || reportedPower != on) {
            out.send(Messages.solControls(sequence.getAndIncrement(), on));
            reportedPower = on;
        }
    }

    private void sleep() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            closed = true;
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        SerialConsole c = console;
        if (c != null) {
            c.close();
        }
        pump.interrupt();
    }
}
