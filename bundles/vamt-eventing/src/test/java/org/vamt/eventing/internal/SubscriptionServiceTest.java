package org.vamt.eventing.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.security.AmtRealm;
import org.vamt.wsman.eventing.DeliveryMode;
import org.vamt.wsman.eventing.EventingException;
import org.vamt.wsman.eventing.ReferenceParameter;
import org.vamt.wsman.eventing.SubscribeRequest;
import org.vamt.wsman.eventing.Subscription;

/**
 * Subscriptions against libvirt's test driver and real loopback subscribers that demand Digest:
 * power transitions made through libvirt reach the subscriber; the password is sealed in the
 * domain XML; a new service (a restart) keeps delivering; expiry, limits, realms and a dead
 * subscriber behave.
 */
class SubscriptionServiceTest {
    private static final String SUB_USER = "console";
    private static final String SUB_PASSWORD = "Listener-Secret-77";
    @TempDir
    Path etc;
    private DemoHypervisor demo;
    private final List<SubscriptionService> services = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<String> eventManagers = new ArrayList<>(List.of("admin"));

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
    }

    @AfterEach
    void stop() throws Exception {
        services.forEach(SubscriptionService::close);
        for (AutoCloseable c : closing) {
            c.close();
        }
        demo.close();
    }

    private SubscriptionService service(int maxPerVm, int attempts) {
        SubscriptionService s = new SubscriptionService(demo.hypervisor(),
                (user, vm, realm) -> user.equals("admin") || realm == AmtRealm.EVENT_MANAGER && eventManagers.contains(user),
                config(maxPerVm, attempts), new SubscriberSeal(etc.resolve(SubscriberSeal.KEY_FILE)),
                Clock.systemUTC());
        s.loadAll();
        demo.addMachineListener(s);
        services.add(s);
        return s;
    }

    private DigestListener listener() throws Exception {
        DigestListener l = new DigestListener(SUB_USER, SUB_PASSWORD);
        closing.add(l);
        return l;
    }

    private static RequestContext ctx(String vm, String user) {
        return new RequestContext(vm, "vm", user, "Digest:test");
    }

    private static SubscribeRequest request(String url, Duration expires) {
        return new SubscribeRequest("http://schemas.dmtf.org/wbem/wscim/1/*", null, DeliveryMode.PUSH, url,
                List.of(new ReferenceParameter("http://x.com", "arg", "node-7")), SUB_USER, SUB_PASSWORD, expires);
    }

    @Test
    void powerTransitionsMadeThroughLibvirtReachTheSubscriberWithDigest() throws Exception {
        SubscriptionService s = service(16, 6);
        DigestListener l = listener();
        Subscription sub = s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), null));
        assertNull(sub.expires());

        demo.hypervisor().powerOff(DESKTOP_01);
        String off = l.next(5);
        assertNotNull(off, "no event for the power-off");
        assertTrue(off.contains("<g:MessageID>VAMT0003</g:MessageID>"), off);
        assertTrue(off.contains("<g:IndicationFilterName>Intel(r) AMT:AllEvents</g:IndicationFilterName>"), off);
        assertTrue(off.contains("http://schemas.dmtf.org/wbem/wsman/1/wsman/Event"), off);
        assertTrue(off.contains(">node-7</r0:arg>"), "the reference parameter comes back as a header: " + off);
        demo.hypervisor().powerOn(DESKTOP_01);
        String on = l.next(5);
        assertNotNull(on, "no event for the power-on");
        assertTrue(on.contains("<g:MessageID>VAMT0001</g:MessageID>"), on);
        assertEquals(0, l.refused.get(), "every credential the subscriber saw was right");
    }

    @Test
    void auditRecordsReachTheSubscriber() throws Exception {
        SubscriptionService s = service(16, 6);
        DigestListener l = listener();
        s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), null));
        s.recorded(new org.vamt.security.AuditEvent(DESKTOP_01, 17, 1, "admin", "127.0.0.1", null,
                java.time.Instant.now()));
        String audit = l.next(5);
        assertNotNull(audit, "no event for the audit record");
        assertTrue(audit.contains("<g:MessageID>VAMT0100</g:MessageID>"), audit);
        assertTrue(audit.contains("<g:Message>Audit log: power down by admin.</g:Message>"), audit);
        s.recorded(new org.vamt.security.AuditEvent(BUILD_SERVER, 17, 0, "admin", "127.0.0.1", null,
                java.time.Instant.now()));
        assertNull(l.next(1), "another VM's audit record reached this VM's subscriber");
        // a subscription made by a user without the Audit Log realm gets power events, not audit records
        eventManagers.add("events-only");
        DigestListener limited = listener();
        s.subscribe(ctx(BUILD_SERVER, "events-only"), request(limited.url(), null));
        s.recorded(new org.vamt.security.AuditEvent(BUILD_SERVER, 17, 0, "admin", "127.0.0.1", null,
                java.time.Instant.now()));
        assertNull(limited.next(1), "an audit record reached a subscriber without the Audit Log realm");
        s.machineChanged(new MachineEvent(BUILD_SERVER, "build-server", MachineEvent.Type.STARTED));
        assertNotNull(limited.next(5), "the power event did not reach the subscriber without the Audit Log realm");
    }

    @Test
    void theSubscriberPasswordIsSealedAndASubscriptionSurvivesARestart() throws Exception {
        SubscriptionService first = service(16, 6);
        DigestListener l = listener();
        first.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), Duration.ofHours(1)));
        String xml = demo.hypervisor().definitionXml(DESKTOP_01);
        assertTrue(xml.contains("eventing"), xml);
        assertFalse(xml.contains(SUB_PASSWORD), "the subscriber's password is in clear in the domain XML");
        assertTrue(Files.exists(etc.resolve(SubscriberSeal.KEY_FILE)));

        first.close();
        services.remove(first);
        SubscriptionService second = service(16, 6);   // a restart: reads the subscriptions back from the VM
        demo.hypervisor().powerOff(DESKTOP_01);
        String off = l.next(5);
        assertNotNull(off, "the subscription did not survive the restart");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (second.deliverer().delivered() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);   // counted once the subscriber's answer is in, a moment after it has the body
        }
        assertEquals(1, second.deliverer().delivered(), "the restarted service delivered it");
    }

    @Test
    void anExpiredSubscriptionGetsNothing() throws Exception {
        SubscriptionService s = service(16, 6);
        DigestListener expired = listener();
        DigestListener lasting = listener();
        String short1 = s.subscribe(ctx(DESKTOP_01, "admin"), request(expired.url(), Duration.ofMillis(300))).id();
        s.subscribe(ctx(DESKTOP_01, "admin"), request(lasting.url(), Duration.ofMinutes(5)));
        awaitExpiry(s, short1);
        demo.hypervisor().powerOff(DESKTOP_01);
        assertNotNull(lasting.next(5), "the lasting subscription got the event");
        assertNull(expired.next(1), "the expired subscription got an event");
        EventingException renew = assertThrows(EventingException.class,
                () -> s.renew(ctx(DESKTOP_01, "admin"), "uuid:gone", Duration.ofMinutes(1)));
        assertEquals(EventingException.Reason.UNABLE_TO_RENEW, renew.reason());
    }

    @Test
    void renewStatusAndUnsubscribe() throws Exception {
        SubscriptionService s = service(16, 6);
        DigestListener l = listener();
        Subscription sub = s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), Duration.ofSeconds(30)));
        Subscription renewed = s.renew(ctx(DESKTOP_01, "admin"), sub.id(), Duration.ofHours(2));
        assertTrue(renewed.expires().isAfter(sub.expires().plus(Duration.ofHours(1))));
        assertEquals(renewed.expires(), s.status(ctx(DESKTOP_01, "admin"), sub.id()).expires());
        s.unsubscribe(ctx(DESKTOP_01, "admin"), sub.id());
        assertEquals(EventingException.Reason.UNKNOWN_SUBSCRIPTION, assertThrows(EventingException.class,
                () -> s.status(ctx(DESKTOP_01, "admin"), sub.id())).reason());
        demo.hypervisor().powerOff(DESKTOP_01);
        assertNull(l.next(1), "an ended subscription got an event");
    }

    @Test
    void theVmTakesOnlyItsLimitAndOnlyEventManagers() throws Exception {
        SubscriptionService s = service(2, 6);
        DigestListener l = listener();
        s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), null));
        s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), null));
        assertEquals(EventingException.Reason.LIMIT_REACHED, assertThrows(EventingException.class,
                () -> s.subscribe(ctx(DESKTOP_01, "admin"), request(l.url(), null))).reason());
        // the limit is per VM
        s.subscribe(ctx(BUILD_SERVER, "admin"), request(l.url(), null));
        assertEquals(EventingException.Reason.ACCESS_DENIED, assertThrows(EventingException.class,
                () -> s.subscribe(ctx(BUILD_SERVER, "viewer"), request(l.url(), null))).reason());
        assertEquals(EventingException.Reason.INVALID_PARAMETER, assertThrows(EventingException.class,
                () -> s.subscribe(ctx(BUILD_SERVER, "admin"), request("ftp://127.0.0.1/x", null))).reason());
        assertEquals(EventingException.Reason.UNKNOWN_FILTER, assertThrows(EventingException.class,
                () -> s.subscribe(ctx(BUILD_SERVER, "admin"), new SubscribeRequest(
                        "http://schemas.dmtf.org/wbem/wscim/1/*", "Intel(r) AMT:Nothing", DeliveryMode.PUSH,
                        l.url(), List.of(), null, null, null))).reason());
    }

    @Test
    void aDeadSubscriberDoesNotHoldUpAnother() throws Exception {
        SubscriptionService s = service(16, 3);
        int deadPort;
        try (ServerSocket unused = new ServerSocket(0)) {
            deadPort = unused.getLocalPort();   // nobody listens there once closed
        }
        DigestListener failing = listener();
        failing.status = 500;
        DigestListener alive = listener();
        s.subscribe(ctx(DESKTOP_01, "admin"), request("http://127.0.0.1:" + deadPort + "/events", null));
        s.subscribe(ctx(DESKTOP_01, "admin"), request(failing.url(), null));
        s.subscribe(ctx(DESKTOP_01, "admin"), request(alive.url(), null));
        long start = System.nanoTime();
        s.machineChanged(new MachineEvent(DESKTOP_01, "desktop-01", MachineEvent.Type.STOPPED));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 500, "publishing waited on subscribers");
        assertNotNull(alive.next(5), "the live subscriber did not get its event");
        // the failing ones are tried again, then their event is dropped
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.deliverer().dropped() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(2, s.deliverer().dropped());
        assertTrue(s.deliverer().failedAttempts() >= 6, "attempts: " + s.deliverer().failedAttempts());
    }

    /** Until GetStatus no longer knows {@code id}: its expiry has passed. */
    private static void awaitExpiry(SubscriptionService s, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                s.status(ctx(DESKTOP_01, "admin"), id);
            } catch (EventingException e) {
                assertEquals(EventingException.Reason.UNKNOWN_SUBSCRIPTION, e.reason());
                return;
            }
            assertTrue(System.nanoTime() < deadline, "subscription " + id + " did not expire within 5 s");
            Thread.sleep(20);
        }
    }

    private static SubscriptionService.Config config(int maxPerVm, int attempts) {
        return EventingTestAccess.config(maxPerVm, attempts, 2000, 400);
    }
}
