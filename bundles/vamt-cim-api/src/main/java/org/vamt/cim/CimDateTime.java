package org.vamt.cim;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/**
 * A CIM datetime, kept in the XML Schema form WS-Management uses on the wire
 * ({@code 2020-08-10T00:00:00Z}, or a duration such as {@code P1D} for intervals).
 */
public record CimDateTime(String text, boolean interval) implements Serializable {
    public CimDateTime {
        Objects.requireNonNull(text, "text");
    }

    public static CimDateTime of(Instant instant) {
        return new CimDateTime(instant.toString(), false);
    }

    public static CimDateTime interval(String xsDuration) {
        return new CimDateTime(xsDuration, true);
    }
}
