package org.vamt.security.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vamt.security.AuditEvent;
import org.vamt.security.AuditTrail;

class AuditForwarderTest {

    static AuditEvent event(int eventId) {
        return new AuditEvent("6F8C1A52-4B1E-4D6A-9A01-000000000001", 16, eventId, "admin", "127.0.0.1",
                new byte[0], Instant.now());
    }

    static List<Integer> ids(List<AuditEvent> events) {
        return events.stream().map(AuditEvent::eventId).toList();
    }

    @Test
    void eventsRecordedBeforeTheAuditLogArrivesReachItInOrder() {
        AuditForwarder forwarder = new AuditForwarder(10);
        forwarder.record(event(2));
        forwarder.record(event(5));
        List<AuditEvent> log = new ArrayList<>();
        forwarder.bind(log::add);
        forwarder.record(event(3));
        assertEquals(List.of(2, 5, 3), ids(log));
        assertEquals(0, forwarder.heldCount());
    }

    @Test
    void withoutAnAuditLogTheOldestHeldEventsGo() {
        AuditForwarder forwarder = new AuditForwarder(2);
        for (int id = 1; id <= 5; id++) {
            forwarder.record(event(id));
        }
        assertEquals(2, forwarder.heldCount());
        List<AuditEvent> log = new ArrayList<>();
        forwarder.bind(log::add);
        assertEquals(List.of(4, 5), ids(log));
    }

    @Test
    void afterTheAuditLogLeavesEventsAreHeldForTheNextOne() {
        AuditForwarder forwarder = new AuditForwarder(10);
        List<AuditEvent> first = new ArrayList<>();
        AuditTrail firstTrail = first::add;
        forwarder.bind(firstTrail);
        forwarder.record(event(1));
        forwarder.unbind(firstTrail);
        forwarder.record(event(2));
        List<AuditEvent> second = new ArrayList<>();
        forwarder.bind(second::add);
        assertEquals(List.of(1), ids(first));
        assertEquals(List.of(2), ids(second));
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AuditForwarder(0));
    }

    @Test
    void whetherACriticalOperationMayRunIsTheAuditLogsAnswerAndYesWhileItIsAway() {
        AuditForwarder forwarder = new AuditForwarder(10);
        String vm = "6F8C1A52-4B1E-4D6A-9A01-000000000001";
        assertEquals(true, forwarder.allows(vm, 17, 0), "held events are recorded when the log comes");
        AuditTrail full = new AuditTrail() {
            @Override
            public void record(AuditEvent event) {
            }

            @Override
            public boolean allows(String machineId, int appId, int eventId) {
                return !(appId == 17 && eventId == 0);
            }
        };
        forwarder.bind(full);
        assertEquals(false, forwarder.allows(vm, 17, 0));
        assertEquals(true, forwarder.allows(vm, 17, 1));
        forwarder.unbind(full);
        assertEquals(true, forwarder.allows(vm, 17, 0));
    }
}
