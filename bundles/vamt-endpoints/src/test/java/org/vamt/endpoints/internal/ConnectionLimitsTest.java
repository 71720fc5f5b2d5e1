package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.endpoints.internal.RawHttp.SERVER;
import static org.vamt.endpoints.internal.RawHttp.closedByServer;
import static org.vamt.endpoints.internal.RawHttp.connect;
import static org.vamt.endpoints.internal.RawHttp.post;
import static org.vamt.endpoints.internal.RawHttp.read;
import static org.vamt.endpoints.internal.RawHttp.send;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vamt.endpoints.EndpointPathHandler;
import org.vamt.hypervisor.OperationDeadline;
import org.vamt.security.digest.DigestSession;

/**
 * The door's total deadlines, connection caps and operation deadlines over a real Jetty
 * (issue 17, defect 2 and "bounded resources"): a client that drips its headers or its body gets
 * 408/400 at the deadline however steadily it drips; connections without an authenticated request
 * are capped per source and in all (the oldest of the busiest source makes room); an operation runs
 * on the request's thread and times out when a hypervisor call gave up at its deadline (the bounded
 * threads of hung calls are vamt-libvirt's, see HungHypervisorIT).
 */
class ConnectionLimitsTest {
    final List<String> handled = new CopyOnWriteArrayList<>();
    final List<Socket> sockets = new ArrayList<>();
    TestTransport transport;
    int port;

    private void start(TestTransport t, EndpointPathHandler handler) {
        transport = t.machine(RawHttp.VM, "desktop-01").serve(handler, "/echo").listen(port);
    }

    private void start(long headerMillis, long bodyMillis) throws IOException {
        port = RawHttp.freePort();
        start(DoorLimits.transport(RawHttp.security(), 4, 5_000, headerMillis, bodyMillis, 32, 256), call -> {
                    handled.add(new String(call.body(), java.nio.charset.StandardCharsets.UTF_8));
                    return new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, "ok");
                });
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    private Socket open(String source, int readTimeoutMillis) throws IOException {
        Socket s = connect(source, port, readTimeoutMillis);
        sockets.add(s);
        return s;
    }

    /**
     * Drips {@code bytes}, one every 200 ms, on a thread of its own, while this thread waits (3 s
     * at most) for the server's answer; the answer and how long it took.
     */
    private static Dripped drip(Socket s, String bytes) throws Exception {
        Thread dripper = new Thread(() -> {
            try {
                for (int i = 0; i < bytes.length(); i++) {
                    send(s, bytes.substring(i, i + 1));
                    Thread.sleep(200);   // the pace of the attack, not a wait for a condition
                }
            } catch (IOException | InterruptedException stopped) {
                // the server closed the connection, or the test is over
            }
        }, "dripper");
        dripper.setDaemon(true);
        long t0 = System.nanoTime();
        dripper.start();
        try {
            s.setSoTimeout(3_000);
            RawHttp.Response r = read(s);
            return new Dripped(r, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            dripper.interrupt();
        }
    }

    record Dripped(RawHttp.Response response, long millis) {
    }

    @Test
    void headersDrippedPastTheDeadlineGet408AndTheConnectionIsClosed() throws Exception {
        start(1_000, 30_000);
        Socket s = open("127.0.0.1", 200);
        // a header line that never ends, one byte every 200 ms: each byte is news, so an idle
        // timeout alone (30 s) would never fire
        Dripped d = drip(s, "POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200));
        assertEquals(408, d.response().status(), d.response().head());
        assertTrue(d.response().head().contains(SERVER), d.response().head());
        assertTrue(d.millis() < 2_000, "answered after " + d.millis() + " ms of dripping, the deadline is 1 s");
        s.setSoTimeout(2_000);
        assertTrue(closedByServer(s), "the connection is closed");
        assertTrue(handled.isEmpty());
    }

    @Test
    void theHeaderDeadlineRestartsAfterEachRequestOfAKeptConnection() throws Exception {
        start(1_000, 30_000);
        DigestSession digest = RawHttp.session(port);
        Socket s = open("127.0.0.1", 3_000);
        send(s, post(digest, "first"));
        assertEquals(200, read(s).status());
        // the next request on the same connection drips its headers: 408, not a connection held for good
        Dripped d = drip(s, "POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200));
        assertEquals(408, d.response().status(), d.response().head());
        assertTrue(d.millis() < 2_000, "answered after " + d.millis() + " ms");
        assertEquals(List.of("first"), handled);
    }

    @Test
    void anAuthenticatedBodyDrippedPastTheDeadlineIs400NotA200() throws Exception {
        start(10_000, 1_000);
        DigestSession digest = RawHttp.session(port);
        Socket s = open("127.0.0.1", 200);
        String body = "x".repeat(100);
        String request = post(digest, body);
        int headerEnd = request.indexOf("\r\n\r\n") + 4;
        send(s, request.substring(0, headerEnd));
        // 100 bytes at one per 200 ms would take 20 s; the idle timeout (30 s) never fires
        Dripped d = drip(s, body);
        assertEquals(400, d.response().status(), d.response().head());
        assertTrue(d.response().head().contains(SERVER), d.response().head());
        assertTrue(d.millis() < 2_000, "answered after " + d.millis() + " ms of dripping, the deadline is 1 s");
        s.setSoTimeout(2_000);
        assertTrue(closedByServer(s), "the connection is closed");
        assertTrue(handled.isEmpty(), "the handler never saw it");
    }

    @Test
    void connectionsBeyondThePerSourceCapAreClosedOthersStay() throws Exception {
        port = RawHttp.freePort();
        start(DoorLimits.transport(RawHttp.security(), 4, 5_000, 10_000, 30_000, 5, 100), RawHttp.OK);
        List<Socket> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            six.add(open("127.0.0.7", 100));
        }
        // Jetty may accept them in any order (several acceptors): one of the six is closed, five stay
        List<Socket> closed = new ArrayList<>();
        long end = System.nanoTime() + 3_000_000_000L;
        while (closed.isEmpty() && System.nanoTime() < end) {
            for (Socket s : six) {
                if (!closed.contains(s) && closedByServer(s)) {
                    closed.add(s);
                }
            }
        }
        for (Socket s : six) {
            if (!closed.contains(s) && closedByServer(s)) {
                closed.add(s);
            }
        }
        assertEquals(1, closed.size(), "one of six connections from one address is closed; "
                + DoorLimits.counters(transport));
        // another address is not affected, and can authenticate
        DigestSession digest = RawHttp.session(port);
        Socket other = open("127.0.0.8", 3_000);
        send(other, post(digest, "x"));
        assertEquals(200, read(other).status());
    }

    @Test
    void whenAllAreTakenTheOldestOfTheBusiestSourceMakesRoomForANewcomer() throws Exception {
        port = RawHttp.freePort();
        start(DoorLimits.transport(RawHttp.security(), 4, 5_000, 10_000, 30_000, 10, 12), RawHttp.OK);
        DigestSession digest = RawHttp.session(port);
        // an authenticated connection is not counted, so it is never the one to go
        Socket kept = open("127.0.0.9", 3_000);
        send(kept, post(digest, "x"));
        assertEquals(200, read(kept).status());
        List<Socket> busy = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            busy.add(open("127.0.0.10", 300));
        }
        List<Socket> quiet = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            quiet.add(open("127.0.0." + (11 + i), 300));
        }
        for (Socket s : busy) {
            assertFalse(closedByServer(s), "12 unauthenticated connections fit");
        }
        Socket newcomer = open("127.0.0.20", 3_000);
        // the oldest as Jetty accepted them, which need not be the order they were opened in
        // (several acceptors, a busy machine): exactly one of the busiest source's connections goes
        List<Socket> closed = new ArrayList<>();
        long end = System.nanoTime() + 5_000_000_000L;
        while (closed.isEmpty() && System.nanoTime() < end) {
            for (Socket s : busy) {
                if (!closed.contains(s) && closedByServer(s)) {
                    closed.add(s);
                }
            }
        }
        for (Socket s : busy) {
            if (!closed.contains(s) && closedByServer(s)) {
                closed.add(s);
            }
        }
        assertEquals(1, closed.size(), "one connection of the busiest source is closed; "
                + DoorLimits.counters(transport));
        for (Socket s : quiet) {
            assertFalse(closedByServer(s), "a quiet source's one connection stays");
        }
        send(newcomer, post(digest, "x"));
        assertEquals(200, read(newcomer).status(), "the newcomer got in");
        send(kept, post(digest, "y"));
        assertEquals(200, read(kept).status(), "the authenticated connection was not evicted");
    }

    @Test
    void anOperationRunsOnTheRequestsThreadAndTimesOutWhenAHypervisorCallGaveUpAtItsDeadline() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        EndpointPathHandler handler = call -> {
            try {
                String r = call.bounded(() -> {
                    OperationDeadline d = OperationDeadline.current();
                    seen.add(Thread.currentThread().getName() + " " + (d.remainingNanos() <= 100_000_000L));
                    if (call.body().length == 4) {   // "hung": what vamt-libvirt does when libvirtd does not answer
                        d.expire("libvirt did not answer in time");
                        throw new IllegalStateException("the provider made its own failure of it");
                    }
                    return "answered";
                }, 100);
                return new EndpointPathHandler.Reply(200, EndpointPathHandler.TEXT, r);
            } catch (TimeoutException e) {
                return new EndpointPathHandler.Reply(504, EndpointPathHandler.TEXT, e.getMessage());
            } catch (Exception e) {
                return new EndpointPathHandler.Reply(500, EndpointPathHandler.TEXT, e.toString());
            }
        };
        port = RawHttp.freePort();
        start(DoorLimits.transport(RawHttp.security(), 2, 5_000, 10_000, 30_000, 32, 256), handler);
        DigestSession digest = RawHttp.session(port);
        Socket s = open("127.0.0.1", 5_000);
        send(s, post(digest, "hung"));
        RawHttp.Response timedOut = read(s);
        assertEquals(504, timedOut.status(), "whatever the work made of the failure: " + timedOut);
        assertEquals("libvirt did not answer in time", timedOut.body());
        send(s, post(digest, "ok"));
        RawHttp.Response fine = read(s);
        assertEquals(200, fine.status(), fine.toString());
        assertEquals("answered", fine.body());
        assertEquals(2, seen.size(), seen.toString());
        for (String w : seen) {
            assertFalse(w.startsWith("vamt-endpoint-op"), "no hand-off to an operation thread: " + w);
            assertTrue(w.endsWith(" true"), "the deadline is the operation's (100 ms): " + w);
        }
        assertNull(OperationDeadline.current(), "no deadline outside an operation");
    }
}
