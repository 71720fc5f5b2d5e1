package org.vamt.provider.alarm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.MachinesListed;
import org.vamt.hypervisor.MachineState;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.power.RemotePowerOn;
import org.vamt.provider.time.FirmwareClock;

/**
 * The alarm clock against libvirt's test driver loaded with the demo machines: alarms really power
 * a shut-off VM on at their time, repeat, go when done, survive a new AlarmClock (a vAMT restart:
 * the state is the VM's), and the boot reason says who powered the VM on.
 */
class AlarmClockTest {
    private DemoHypervisor demo;
    private final List<AlarmClock> clocks = new ArrayList<>();
    private AlarmClock alarms;
    private AlarmClockServiceProvider service;
    private AlarmClockOccurrenceProvider occurrences;
    private HostBootReasonProvider bootReason;

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        use(new AlarmClock(demo.hypervisor()));
    }

    @AfterEach
    void stop() {
        clocks.forEach(AlarmClock::deactivate);
        demo.close();
    }

    private void use(AlarmClock clock) {
        clocks.add(clock);
        alarms = clock;
        clock.bindMachinesListed(new MachinesListed() { });   // as vamt-endpoints does after its first listing
        demo.addMachineListener(clock);
        service = new AlarmClockServiceProvider(demo.hypervisor(), clock);
        occurrences = new AlarmClockOccurrenceProvider(demo.hypervisor(), clock);
        bootReason = new HostBootReasonProvider(demo.hypervisor(), clock);
    }

    private static RequestContext buildServer() {
        return new RequestContext(BUILD_SERVER, "build-server", "admin", "Digest:0123456789ABCDEF0123456789ABCDEF");
    }

    private static CimInstance template(String id, String start, String interval, String deleteOnCompletion) {
        CimInstance.Builder b = CimInstance.builder("IPS_AlarmClockOccurrence").property("InstanceID", id)
                .property("StartTime", start);
        if (interval != null) {
            b.property("Interval", interval);
        }
        return b.property("DeleteOnCompletion", deleteOnCompletion).build();
    }

    private MethodResult addAlarm(CimInstance template) throws CimException {
        return service.invokeMethod(buildServer(), new CimObjectPath("AMT_AlarmClockService", Map.of()), "AddAlarm",
                Map.of("AlarmTemplate", template));
    }

    private static String inSeconds(long s) {
        return Instant.ofEpochSecond(Instant.now().getEpochSecond() + s).toString();
    }

    private MachineState state(String uuid) throws Exception {
        return demo.hypervisor().machine(uuid).orElseThrow().state();
    }

    /** Polls every 100 ms until the condition holds; false after {@code seconds}. */
    private static boolean within(double seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }

    private boolean running(String uuid) {
        try {
            return state(uuid) == MachineState.RUNNING;
        } catch (Exception e) {
            return false;
        }
    }

    private List<CimInstance> occurrencesOf() throws CimException {
        return occurrences.enumerateInstances(buildServer(), "IPS_AlarmClockOccurrence");
    }

    private CimInstance bootReason() throws CimException {
        return bootReason.enumerateInstances(buildServer(), "IPS_HostBootReason").get(0);
    }

    @Test
    void aOneTimeAlarmPowersTheShutOffVmOnAtItsTimeAndIsDeletedWhenAsked() throws Exception {
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
        String start = inSeconds(3);
        MethodResult r = addAlarm(template("wake", start, null, "true"));
        assertEquals(0, r.returnValue());
        assertEquals(new CimObjectPath("IPS_AlarmClockOccurrence", Map.of("InstanceID", "wake")),
                r.outputs().get("AlarmClock"));

        CimInstance o = occurrencesOf().get(0);
        assertEquals("wake", o.get("InstanceID"));
        assertEquals("wake", o.get("ElementName"), "ElementName defaults to the InstanceID");
        assertEquals(new CimDateTime(start, false), o.get("StartTime"));
        assertNull(o.get("Interval"), "a one-time alarm has no Interval");
        assertEquals(true, o.get("DeleteOnCompletion"));

        long addedAt = System.currentTimeMillis();
        assertFalse(within(1.5, () -> running(BUILD_SERVER)), "not before its time");
        assertTrue(within(6, () -> running(BUILD_SERVER)), "powered on at its time");
        long late = System.currentTimeMillis() - Instant.parse(start).toEpochMilli();
        assertTrue(late < 3000, "within a few seconds of its time, was " + late + " ms late (added " + addedAt + ")");
        assertTrue(within(3, () -> {
            try {
                return occurrencesOf().isEmpty();
            } catch (CimException e) {
                return false;
            }
        }), "deleted on completion");
        assertTrue(within(3, () -> {
            try {
                return Long.valueOf(3).equals(bootReason().get("Reason"));
            } catch (CimException e) {
                return false;
            }
        }), "boot reason: alarm");
        assertEquals(7L, bootReason().get("PreviousSxState"));
    }

    @Test
    void aRepeatingAlarmStaysAndMovesOnByItsInterval() throws Exception {
        String start = inSeconds(2);
        assertEquals(0, addAlarm(template("daily", start, "P1DT0H0M", "true")).returnValue());
        assertEquals(CimDateTime.interval("P1DT0H0M"), occurrencesOf().get(0).get("Interval"));
        assertTrue(within(6, () -> running(BUILD_SERVER)), "powered on at its time");
        assertTrue(within(3, () -> {
            try {
                List<CimInstance> list = occurrencesOf();
                return list.size() == 1 && new CimDateTime(Instant.parse(start).plusSeconds(86400).toString(), false)
                        .equals(list.get(0).get("StartTime"));
            } catch (CimException e) {
                return false;
            }
        }), "a repeating alarm is never complete: next StartTime one day later");
    }

    @Test
    void aKeptOneTimeAlarmStaysWithItsTimeAndDoesNotFireAgain() throws Exception {
        String start = inSeconds(2);
        assertEquals(0, addAlarm(template("once", start, "P0DT0H0M", "false")).returnValue());
        assertTrue(within(6, () -> running(BUILD_SERVER)));
        demo.hypervisor().powerOff(BUILD_SERVER);
        assertTrue(within(3, () -> alarms.due(BUILD_SERVER).isEmpty()), "nothing left to fire");
        assertFalse(within(2, () -> running(BUILD_SERVER)), "it does not fire again");
        assertEquals(new CimDateTime(start, false), occurrencesOf().get(0).get("StartTime"));
    }

    @Test
    void anAlarmSurvivesARestartOfTheAlarmClock() throws Exception {
        String start = inSeconds(4);
        assertEquals(0, addAlarm(template("after-restart", start, null, "true")).returnValue());
        clocks.remove(alarms);
        alarms.deactivate();                     // vAMT stops: nothing in memory survives
        use(new AlarmClock(demo.hypervisor()));  // and starts again: the alarm is the VM's state
        assertEquals(1, occurrencesOf().size());
        assertTrue(within(8, () -> running(BUILD_SERVER)), "the alarm set before the restart fires");
    }

    @Test
    void startTimesAreOnTheFirmwareClock() throws Exception {
        // the console set the VM's clock an hour ahead: an alarm at clock+3s fires in 3 s, not in an hour
        new StateStore<>(demo.hypervisor(), FirmwareClock.STATE).update(BUILD_SERVER, c -> new FirmwareClock(3600));
        assertEquals(36, addAlarm(template("host-time", inSeconds(30), null, "true")).returnValue(),
                "30 s from now on the host clock is in the past on the VM's clock");
        assertEquals(0, addAlarm(template("fw-time", inSeconds(3600 + 3), null, "true")).returnValue());
        assertTrue(within(7, () -> running(BUILD_SERVER)));
    }

    @Test
    void addAlarmAnswersAmtStatusCodes() throws Exception {
        assertEquals(36, addAlarm(template("past", inSeconds(-60), null, "true")).returnValue(), "past");
        assertEquals(36, addAlarm(template("", inSeconds(600), null, "true")).returnValue(), "no InstanceID");
        assertEquals(36, addAlarm(template("bad-time", "tomorrow", null, "true")).returnValue(), "no datetime");
        assertEquals(36, addAlarm(template("seconds", inSeconds(600), "PT30S", "true")).returnValue(),
                "AMT counts intervals in minutes");
        assertEquals(36, addAlarm(template("bad-bool", inSeconds(600), null, "maybe")).returnValue());
        assertEquals(36, addAlarm(CimInstance.builder("CIM_Service").property("InstanceID", "x").build())
                .returnValue(), "a template of another class");
        assertEquals(36, service.invokeMethod(buildServer(), new CimObjectPath("AMT_AlarmClockService", Map.of()),
                "AddAlarm", Map.of("AlarmTemplate", "just text")).returnValue());
        for (int i = 1; i <= 5; i++) {
            assertEquals(0, addAlarm(template("a" + i, inSeconds(600 + i), "PT1H", "false")).returnValue());
        }
        assertEquals(2058, addAlarm(template("a1", inSeconds(900), null, "true")).returnValue(), "duplicate");
        assertEquals(23, addAlarm(template("a6", inSeconds(900), null, "true")).returnValue(), "at most 5");
        assertEquals(5, occurrencesOf().size());
        assertEquals(CimDateTime.interval("P0DT1H0M"), occurrencesOf().get(0).get("Interval"));
    }

    @Test
    void deleteAndPutChangeTheAlarm() throws Exception {
        assertEquals(0, addAlarm(template("edit", inSeconds(600), null, "false")).returnValue());
        CimInstance current = occurrencesOf().get(0);
        String later = inSeconds(2);
        CimInstance changed = occurrences.modifyInstance(buildServer(), current, current.toBuilder()
                .property("StartTime", new CimDateTime(later, false))
                .property("Interval", CimDateTime.interval("PT2H")).property("DeleteOnCompletion", true).build());
        assertEquals(new CimDateTime(later, false), changed.get("StartTime"));
        assertEquals(CimDateTime.interval("P0DT2H0M"), occurrencesOf().get(0).get("Interval"));
        assertTrue(within(6, () -> running(BUILD_SERVER)), "the moved alarm fires at its new time");

        CimException past = assertThrows(CimException.class, () -> occurrences.modifyInstance(buildServer(),
                occurrencesOf().get(0), occurrencesOf().get(0).toBuilder()
                        .property("StartTime", new CimDateTime(inSeconds(-600), false)).build()));
        assertEquals(CimStatus.INVALID_PARAMETER, past.status());

        occurrences.deleteInstance(buildServer(), occurrencesOf().get(0));
        assertTrue(occurrencesOf().isEmpty());
        assertTrue(alarms.due(BUILD_SERVER).isEmpty());
        assertEquals(CimStatus.NOT_FOUND, assertThrows(CimException.class,
                () -> occurrences.deleteInstance(buildServer(), current)).status());
    }

    @Test
    void anAlarmMissedByMoreThanAnHourDoesNotPowerTheVmOn() throws Exception {
        long t0 = Instant.now().getEpochSecond();
        MutableClock clock = new MutableClock(t0 * 1000);
        clocks.forEach(AlarmClock::deactivate);
        clocks.clear();
        use(new AlarmClock(demo.hypervisor(), clock, false));
        assertEquals(0, addAlarm(template("missed", Instant.ofEpochSecond(t0 + 10).toString(), null, "true"))
                .returnValue());
        clock.millis = (t0 + 10 + AlarmClock.MISSED_LIMIT_SECONDS + 5) * 1000;   // vAMT was down meanwhile
        alarms.tick();
        assertEquals(MachineState.SHUT_OFF, state(BUILD_SERVER));
        assertTrue(occurrencesOf().isEmpty(), "it has run (late), so it is deleted as asked");

        assertEquals(0, addAlarm(template("late", Instant.ofEpochSecond(clock.millis / 1000 + 10).toString(), null,
                "true")).returnValue());
        clock.millis += 70_000;   // a minute late: still runs
        alarms.tick();
        assertEquals(MachineState.RUNNING, state(BUILD_SERVER));
    }

    @Test
    void aRunningVmStaysAsItIs() throws Exception {
        RequestContext desktop = new RequestContext(DESKTOP_01, "desktop-01", "admin", "Digest:x");
        service.invokeMethod(desktop, new CimObjectPath("AMT_AlarmClockService", Map.of()), "AddAlarm",
                Map.of("AlarmTemplate", template("noop", inSeconds(1), null, "true")));
        assertTrue(within(4, () -> alarms.due(DESKTOP_01).isEmpty()));
        assertEquals(MachineState.RUNNING, state(DESKTOP_01));
        // the alarm powered nothing on: a start just after it is not the alarm's
        demo.hypervisor().powerOff(DESKTOP_01);
        demo.hypervisor().powerOn(DESKTOP_01);
        assertTrue(within(5, () -> {
            try {
                CimInstance b = bootReason.enumerateInstances(desktop, "IPS_HostBootReason").get(0);
                return Long.valueOf(1).equals(b.get("Reason")) && Long.valueOf(7).equals(b.get("PreviousSxState"));
            } catch (CimException e) {
                return false;
            }
        }), "other, not alarm");
    }

    @Test
    void bootReasonSaysWhoPoweredTheVmOn() throws Exception {
        CimInstance none = bootReason();
        assertEquals("Intel(r) AMT:Host Boot Reason", none.get("InstanceID"));
        assertEquals("Intel(r) AMT:Host Boot Reason", none.get("ElementName"));
        assertEquals(1L, none.get("Reason"));
        assertEquals(0L, none.get("PreviousSxState"));
        assertEquals("", none.get("ReasonDetails"));

        demo.hypervisor().powerOn(BUILD_SERVER);    // e.g. virsh start
        assertTrue(within(5, () -> reasonIs(1, 7)), "other, from S5");
        demo.hypervisor().powerOff(BUILD_SERVER);

        // what vamt-provider-power writes before it powers the VM on (RequestPowerStateChange(2))
        new StateStore<>(demo.hypervisor(), RemotePowerOn.STATE).update(BUILD_SERVER,
                r -> new RemotePowerOn(System.currentTimeMillis(), RemotePowerOn.S5));
        demo.hypervisor().powerOn(BUILD_SERVER);
        assertTrue(within(5, () -> reasonIs(2, 7)), "remote control, from S5");
    }

    private boolean reasonIs(long reason, long previous) {
        try {
            CimInstance b = bootReason();
            return Long.valueOf(reason).equals(b.get("Reason")) && Long.valueOf(previous).equals(b.get("PreviousSxState"));
        } catch (CimException e) {
            return false;
        }
    }

    @Test
    void causeOfStartPrefersTheLatestCauseWithinAMinute() {
        long now = 1_000_000_000L;
        assertEquals(3, AlarmClock.causeOfStart(now, now - 500, RemotePowerOn.NEVER).reason());
        assertEquals(2, AlarmClock.causeOfStart(now, now - 5000, new RemotePowerOn(now - 100, 5)).reason());
        assertEquals(5, AlarmClock.causeOfStart(now, 0, new RemotePowerOn(now - 100, 5)).previousSxState());
        assertEquals(1, AlarmClock.causeOfStart(now, now - 120_000, new RemotePowerOn(now - 90_000, 7)).reason());
    }

    @Test
    void theServiceIsTheSingletonAmt16Answers() throws Exception {
        List<CimInstance> list = service.enumerateInstances(buildServer(), "AMT_AlarmClockService");
        assertEquals(1, list.size());
        assertEquals(Map.of("CreationClassName", "AMT_AlarmClockService",
                "ElementName", "Intel(r) AMT Alarm Clock Service", "Name", "Intel(r) AMT Alarm Clock Service",
                "SystemCreationClassName", "CIM_ComputerSystem", "SystemName", "ManagedSystem"),
                list.get(0).properties());
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        volatile long millis;

        MutableClock(long millis) {
            this.millis = millis;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
