package org.vamt.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the page and the log show of values they do not control. */
class PageTextTest {
    @Test
    void aTypedUserNameReachesTheLogOnOneBoundedLine() {
        assertEquals("ops?12:00 INFO forged", DashboardServlet.loggable("ops\n12:00 INFO forged"));
        assertEquals(67, DashboardServlet.loggable("x".repeat(500)).length());
    }
}
