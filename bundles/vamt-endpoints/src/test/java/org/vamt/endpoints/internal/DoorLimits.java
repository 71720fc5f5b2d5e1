package org.vamt.endpoints.internal;

import org.vamt.security.SecurityService;

/** The test transport with every limit of the door and of its connections chosen by the test. */
final class DoorLimits {
    private DoorLimits() {
    }

    /**
     * @param headerMillis total time for request headers
     * @param bodyMillis   total time for an authenticated body
     * @param perSource    unauthenticated connections per address
     * @param total        unauthenticated connections in all
     */
    static TestTransport transport(SecurityService security, int maxConcurrent, long maxOperationMillis,
                                   long headerMillis, long bodyMillis, int perSource, int total) {
        return new TestTransport(security,
                new HttpDoor.Limits(262144, maxConcurrent, 200, maxOperationMillis, bodyMillis),
                new ConnectionGuard.Limits(headerMillis, perSource, total), "16.1.30.2307");
    }

    /** What the connection guard did, for failure messages. */
    static String counters(TestTransport t) {
        return t.door().guard().counters() + ", " + t.door().guard().unauthenticatedConnections() + " counted";
    }
}
