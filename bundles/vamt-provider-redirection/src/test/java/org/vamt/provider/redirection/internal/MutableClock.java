package org.vamt.provider.redirection.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test moves forward, to see consent codes and grants lapse. */
final class MutableClock extends Clock {
    private Instant now = Instant.ofEpochSecond(1_800_000_000L);

    void advanceSeconds(long seconds) {
        now = now.plusSeconds(seconds);
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
