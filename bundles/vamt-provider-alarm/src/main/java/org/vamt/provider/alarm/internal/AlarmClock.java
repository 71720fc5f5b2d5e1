package org.vamt.provider.alarm.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineListener;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.MachinesListed;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.alarm.internal.AlarmClockState.Alarm;
import org.vamt.provider.alarm.internal.AlarmClockState.BootRecord;
import org.vamt.provider.power.RemotePowerOn;
import org.vamt.provider.time.FirmwareClock;

/**
 * The alarm clock of every VM: the alarms live in the VM's typed state ({@link AlarmClockState});
 * this component keeps, in memory, when each VM's next alarm is due (host clock) and checks every
 * {@value #TICK_MS} ms. A due alarm is first advanced (repeating), completed or deleted in one
 * compare-and-set, and only the writer that won that write powers the VM on, so an alarm fires
 * once even with several gateways. Alarm times are on the VM's firmware clock (vamt-provider-time),
 * as AMT's are on its own clock.
 * <p>
 * Every {@value #RESCAN_SECONDS} s (and at activation) the due times are read again from every
 * VM, which picks up alarms other gateways added and VMs defined meanwhile. An alarm missed by
 * more than {@value #MISSED_LIMIT_SECONDS} s (vAMT was down at the time) does not power the VM
 * on; it is advanced or completed as if it had run, and logged.
 * <p>
 * It also hears the VMs' lifecycle events: a start is recorded with its reason (an alarm, a
 * remote power-on by vamt-provider-power, or something else) for IPS_HostBootReason.
 */
@Component(service = {AlarmClock.class, MachineListener.class}, immediate = true)
public class AlarmClock implements MachineListener {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmClock.class);
    static final int MAX_ALARMS = 5;
    static final long TICK_MS = 500;
    static final long RESCAN_SECONDS = 60;
    static final long MISSED_LIMIT_SECONDS = 3600;
    /** A start this soon after an alarm or remote power-on is theirs. */
    static final long CAUSE_WINDOW_MS = 60_000;
    static final String THREAD_NAME = "vamt-alarm-clock";
    /** How soon a due alarm that could not run (hypervisor unreachable) is tried again. */
    static final long RETRY_MS = 5000;

    static final int REASON_OTHER = 1;
    static final int REASON_REMOTE = 2;
    static final int REASON_ALARM = 3;

    private final Hypervisor hypervisor;
    private final Clock clock;
    private final StateStore<AlarmClockState> store;
    private final StateStore<FirmwareClock> firmwareClock;
    private final StateStore<RemotePowerOn> remotePowerOn;
    /** Host epoch ms at which each VM's next alarm is due; absent: none. */
    private final Map<String, Long> due = new ConcurrentHashMap<>();
    private final AtomicBoolean rescanning = new AtomicBoolean();
    private final ScheduledThreadPoolExecutor executor;
    private final boolean schedule;
    private final AtomicBoolean scansStarted = new AtomicBoolean();

    @Activate
    public AlarmClock(@Reference Hypervisor hypervisor) {
        this(hypervisor, Clock.systemUTC(), true);
    }

    AlarmClock(Hypervisor hypervisor, Clock clock, boolean schedule) {
        this.hypervisor = hypervisor;
        this.clock = clock;
        this.store = new StateStore<>(hypervisor, AlarmClockState.STATE);
        this.firmwareClock = new StateStore<>(hypervisor, FirmwareClock.STATE);
        this.remotePowerOn = new StateStore<>(hypervisor, RemotePowerOn.STATE);
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.schedule = schedule;
        if (schedule) {
            // the first scan waits for the endpoint map's first listing (bindMachinesListed), at most this long
            executor.schedule(this::startScans, MachinesListed.WAIT_AT_MOST_SECONDS, TimeUnit.SECONDS);
            executor.scheduleWithFixedDelay(this::tickQuietly, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The endpoint map has listed the machines: the scans start now. Before, with 10,000 VMs, the
     * first scan (every VM's alarms read) slowed the listing every endpoint waits for; alarms due
     * meanwhile fire at this first scan.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    public void bindMachinesListed(MachinesListed listed) {
        if (schedule) {
            try {
                executor.execute(this::startScans);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // deactivated meanwhile
            }
        }
    }

    public void unbindMachinesListed(MachinesListed listed) {
        // the scans, once started, go on
    }

    private void startScans() {
        if (scansStarted.compareAndSet(false, true)) {
            executor.scheduleWithFixedDelay(this::rescanQuietly, 0, RESCAN_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Deactivate
    void deactivate() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(3, TimeUnit.SECONDS)) {
                LOG.warn("Alarm clock thread did not stop within 3 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ alarms

    /** The VM's alarms. */
    List<Alarm> alarms(String uuid) throws HypervisorException {
        return store.get(uuid).alarms();
    }

    /** The VM's firmware clock now, epoch seconds. */
    long firmwareNow(String uuid) throws HypervisorException {
        return clock.millis() / 1000 + firmwareClock.get(uuid).offsetSeconds();
    }

    /** Why an alarm cannot be added or changed: AMT's status code. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final long status;

        Refused(long status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** Adds an alarm (AddAlarm); Refused with AMT's status when it cannot be. */
    void add(String uuid, Alarm alarm) throws HypervisorException, Refused {
        store.<Refused>modify(uuid, s -> {
            if (s.alarms().stream().anyMatch(a -> a.instanceId().equals(alarm.instanceId()))) {
                throw new Refused(AlarmClockServiceProvider.DUPLICATE, "an alarm " + alarm.instanceId() + " exists");
            }
            if (s.alarms().size() >= MAX_ALARMS) {
                throw new Refused(AlarmClockServiceProvider.MAX_LIMIT_REACHED, "the VM has " + MAX_ALARMS + " alarms");
            }
            List<Alarm> list = new ArrayList<>(s.alarms());
            list.add(alarm);
            return s.withAlarms(list);
        });
        reschedule(uuid);
    }

    /** Replaces an alarm's schedule (Put); false when it no longer exists. */
    boolean replace(String uuid, Alarm alarm) throws HypervisorException {
        AtomicBoolean found = new AtomicBoolean();
        store.update(uuid, s -> {
            List<Alarm> list = new ArrayList<>();
            for (Alarm a : s.alarms()) {
                if (a.instanceId().equals(alarm.instanceId())) {
                    found.set(true);
                    list.add(alarm);
                } else {
                    list.add(a);
                }
            }
            return s.withAlarms(list);
        });
        reschedule(uuid);
        return found.get();
    }

    /** Deletes an alarm; false when there was none of that id. */
    boolean delete(String uuid, String instanceId) throws HypervisorException {
        AtomicBoolean found = new AtomicBoolean();
        store.update(uuid, s -> {
            List<Alarm> list = new ArrayList<>(s.alarms());
            found.set(list.removeIf(a -> a.instanceId().equals(instanceId)));
            return s.withAlarms(list);
        });
        reschedule(uuid);
        return found.get();
    }

    /** Recomputes when the VM's next alarm is due. */
    void reschedule(String uuid) {
        try {
            Optional<Long> next = nextDue(uuid, store.get(uuid));
            if (next.isPresent()) {
                due.put(uuid, next.get());
            } else {
                due.remove(uuid);
            }
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {}: cannot read its alarms: {}", uuid, e.toString());
        }
    }

    /** Host epoch ms of the earliest pending alarm. */
    private Optional<Long> nextDue(String uuid, AlarmClockState s) throws HypervisorException {
        if (s.alarms().stream().allMatch(Alarm::completed)) {
            return Optional.empty();
        }
        long offset = firmwareClock.get(uuid).offsetSeconds();
        return s.alarms().stream().filter(a -> !a.completed())
                .map(a -> (a.startSeconds() - offset) * 1000).min(Long::compare);
    }

    /** Reads every VM's alarms again. */
    void rescan() throws HypervisorException {
        if (!rescanning.compareAndSet(false, true)) {
            return;
        }
        try {
            List<MachineId> vms = hypervisor.listMachineIds();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (MachineId vm : vms) {
                seen.add(vm.uuid());
                reschedule(vm.uuid());
            }
            due.keySet().retainAll(seen);
        } finally {
            rescanning.set(false);
        }
    }

    private void rescanQuietly() {
        try {
            rescan();
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("Alarm clock: cannot list the VMs: {}", e.toString());
        }
    }

    /** Fires every alarm due now. */
    void tick() {
        long now = clock.millis();
        for (Map.Entry<String, Long> e : List.copyOf(due.entrySet())) {
            if (e.getValue() <= now) {
                fire(e.getKey());
            }
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("Alarm clock: {}", e.toString());
        }
    }

    /**
     * Runs the VM's due alarms: advances, completes or deletes them in one compare-and-set, then,
     * if this call won it and an alarm was not missed by too much, powers the VM on when it is off
     * or asleep. Returns whether it powered the VM on.
     */
    boolean fire(String uuid) {
        try {
            long offset = firmwareClock.get(uuid).offsetSeconds();
            long nowMillis = clock.millis();
            long fwNow = nowMillis / 1000 + offset;
            AtomicReference<List<String>> ran = new AtomicReference<>(List.of());
            AtomicBoolean timely = new AtomicBoolean();
            MachineInfo vm = hypervisor.machine(uuid).orElse(null);
            if (vm == null) {
                due.remove(uuid);
                return false;
            }
            boolean asleep = vm.state() == MachineState.SHUT_OFF || vm.state() == MachineState.CRASHED
                    || vm.state() == MachineState.SUSPENDED;
            AlarmClockState after = store.update(uuid, s -> {
                List<String> names = new ArrayList<>();
                boolean inTime = false;
                List<Alarm> list = new ArrayList<>();
                for (Alarm a : s.alarms()) {
                    if (a.completed() || a.startSeconds() > fwNow) {
                        list.add(a);
                        continue;
                    }
                    names.add(a.instanceId());
                    inTime |= fwNow - a.startSeconds() <= MISSED_LIMIT_SECONDS;
                    if (a.intervalMinutes() > 0) {
                        long step = a.intervalMinutes() * 60;
                        long next = a.startSeconds() + ((fwNow - a.startSeconds()) / step + 1) * step;
                        list.add(new Alarm(a.instanceId(), a.elementName(), next, a.intervalMinutes(),
                                a.deleteOnCompletion(), false));
                    } else if (!a.deleteOnCompletion()) {
                        list.add(new Alarm(a.instanceId(), a.elementName(), a.startSeconds(), 0, false, true));
                    }
                }
                ran.set(names);
                timely.set(inTime);
                if (names.isEmpty()) {
                    return s;
                }
                // recorded before the power-on, so that the start event finds it (IPS_HostBootReason)
                return new AlarmClockState(list, inTime && asleep ? nowMillis : s.alarmPowerOnAt(), s.lastBoot());
            });
            Optional<Long> next = nextDue(uuid, after);
            if (next.isPresent()) {
                due.put(uuid, next.get());
            } else {
                due.remove(uuid);
            }
            if (ran.get().isEmpty()) {   // nothing due, or another gateway ran it first
                return false;
            }
            if (!timely.get()) {
                LOG.warn("VM {} ({}): alarm(s) {} missed by more than {} s (vAMT was not running); not powering on",
                        vm.name(), uuid, ran.get(), MISSED_LIMIT_SECONDS);
                return false;
            }
            if (asleep) {
                hypervisor.powerOn(uuid);
                LOG.info("VM {} ({}): alarm {} powered it on (was {})", vm.name(), uuid, ran.get(), vm.state());
                return true;
            }
            LOG.info("VM {} ({}): alarm {} ran; the VM is already {}", vm.name(), uuid, ran.get(), vm.state());
            return false;
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {}: alarm could not run (tried again in {} s): {}", uuid, RETRY_MS / 1000, e.toString());
            due.computeIfPresent(uuid, (k, v) -> clock.millis() + RETRY_MS);
            return false;
        }
    }

    /** When the VM's next alarm is due (host epoch ms), for tests and the shell. */
    Optional<Long> due(String uuid) {
        return Optional.ofNullable(due.get(uuid));
    }

    // ------------------------------------------------------------------ boot reason

    @Override
    public void machineChanged(MachineEvent event) {
        if (event == null || event.uuid() == null) {
            return;
        }
        if (event.type() == MachineEvent.Type.UNDEFINED) {
            due.remove(event.uuid());
            return;
        }
        if (event.type() == MachineEvent.Type.DEFINED) {
            reschedule(event.uuid());
            return;
        }
        if (event.type() != MachineEvent.Type.STARTED) {
            return;
        }
        try {
            long now = clock.millis();
            RemotePowerOn remote = remotePowerOn.get(event.uuid());
            store.update(event.uuid(), s -> new AlarmClockState(s.alarms(), s.alarmPowerOnAt(),
                    causeOfStart(now, s.alarmPowerOnAt(), remote)));
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("VM {} ({}): could not record the boot reason: {}", event.name(), event.uuid(), e.toString());
        }
    }

    /** The reason of a start seen at {@code now}: the latest alarm or remote power-on just before it, else other. */
    static BootRecord causeOfStart(long now, long alarmAt, RemotePowerOn remote) {
        boolean byAlarm = alarmAt > 0 && now - alarmAt <= CAUSE_WINDOW_MS && now >= alarmAt - 1000;
        boolean byRemote = remote.atMillis() > 0 && now - remote.atMillis() <= CAUSE_WINDOW_MS
                && now >= remote.atMillis() - 1000;
        if (byAlarm && (!byRemote || alarmAt >= remote.atMillis())) {
            return new BootRecord(REASON_ALARM, RemotePowerOn.S5, now);
        }
        if (byRemote) {
            return new BootRecord(REASON_REMOTE, remote.previousSxState(), now);
        }
        return new BootRecord(REASON_OTHER, RemotePowerOn.S5, now);
    }

    /**
     * The VM's last boot: the last recorded start, unless a remote reset came after it (a reset
     * does not stop the VM, so no start is reported). Empty when nothing is known.
     */
    Optional<BootRecord> lastBoot(String uuid) throws HypervisorException {
        AlarmClockState s = store.get(uuid);
        RemotePowerOn remote = remotePowerOn.get(uuid);
        BootRecord boot = s.lastBoot();
        if (remote.atMillis() > 0 && (boot == null || remote.atMillis() > boot.atMillis() + CAUSE_WINDOW_MS)) {
            return Optional.of(new BootRecord(REASON_REMOTE, remote.previousSxState(), remote.atMillis()));
        }
        return Optional.ofNullable(boot);
    }
}
