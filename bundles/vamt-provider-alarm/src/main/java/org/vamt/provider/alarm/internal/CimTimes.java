package org.vamt.provider.alarm.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.vamt.cim.CimDateTime;

/** The alarm clock's times on the wire: xs:dateTime start times and xs:duration intervals of whole minutes. */
final class CimTimes {
    /** The longest interval accepted: a year. */
    static final long MAX_INTERVAL_MINUTES = 366L * 24 * 60;

    private CimTimes() {
    }

    /** Epoch seconds of an xs:dateTime (a time without zone is UTC, as AMT's clock is); empty if it is not one. */
    static Optional<Long> startSeconds(Object value) {
        String text = value instanceof CimDateTime dt ? (dt.interval() ? null : dt.text()) : value == null ? null
                : value.toString().trim();
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text).toEpochSecond());
        } catch (DateTimeParseException e) {
            try {
                return Optional.of(LocalDateTime.parse(text).toEpochSecond(ZoneOffset.UTC));
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }

    /**
     * Minutes of an xs:duration interval ({@code P1DT2H30M}); 0 for none (null or empty); empty when
     * it is not a duration, is negative, has seconds or is longer than {@value #MAX_INTERVAL_MINUTES} minutes.
     */
    static Optional<Long> intervalMinutes(Object value) {
        if (value == null) {
            return Optional.of(0L);
        }
        String text = (value instanceof CimDateTime dt ? dt.text() : value.toString()).trim();
        if (text.isEmpty()) {
            return Optional.of(0L);
        }
        try {
            Duration d = Duration.parse(text);
            if (d.isNegative() || d.toSecondsPart() != 0 || d.toNanosPart() != 0 || d.toMinutes() > MAX_INTERVAL_MINUTES) {
                return Optional.empty();
            }
            return Optional.of(d.toMinutes());
        } catch (DateTimeParseException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    static CimDateTime start(long epochSeconds) {
        return CimDateTime.of(Instant.ofEpochSecond(epochSeconds));
    }

    /** The interval as clients write it: {@code P<d>DT<h>H<m>M}. */
    static CimDateTime interval(long minutes) {
        return CimDateTime.interval("P" + minutes / 1440 + "DT" + minutes / 60 % 24 + "H" + minutes % 60 + "M");
    }
}
