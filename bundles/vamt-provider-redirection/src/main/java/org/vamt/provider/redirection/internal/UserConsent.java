package org.vamt.provider.redirection.internal;

import static org.vamt.provider.redirection.internal.RedirectionNames.PT_INVALID_PARAMETER;
import static org.vamt.provider.redirection.internal.RedirectionNames.PT_NOT_READY;
import static org.vamt.provider.redirection.internal.RedirectionNames.PT_SUCCESS;
import static org.vamt.provider.redirection.internal.RedirectionNames.PT_UNSUPPORTED;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.provider.redirection.UserConsentCodes.ConsentCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user consent exchange of every VM (IPS_OptInService.OptInState), in memory: a code is a
 * one-time secret for a few minutes and must not outlive vAMT. States: 0 not started, 2 displayed
 * (StartOptIn; a VM has no screen, so "displayed" means logged and offered to the operator),
 * 3 received (SendOptInCode with the right code), 4 in session (set by the redirection listener,
 * vamt-redirection). A displayed code lapses after the display timeout, a received consent
 * after {@link #CODE_TIMEOUT_SECONDS} unless a session uses it. After {@link #MAX_WRONG_CODES}
 * wrong codes the request is dropped, so six digits cannot be guessed by trying them all.
 */
final class UserConsent {
    private static final Logger LOG = LoggerFactory.getLogger(UserConsent.class);
    static final int NOT_STARTED = 0;
    static final int DISPLAYED = 2;
    static final int RECEIVED = 3;
    static final int IN_SESSION = 4;
    /** IPS_OptInService.OptInCodeTimeout. */
    static final long CODE_TIMEOUT_SECONDS = 120;
    static final int MAX_WRONG_CODES = 3;
    static final long MAX_CODE = 999_999;

    /** One VM's exchange; {@code since} is when it entered {@code state}. */
    private record Exchange(String machineName, int code, int state, Instant since, Duration displayTimeout,
                            int wrongCodes) {
        Exchange with(int newState, Instant now, int wrong) {
            return new Exchange(machineName, code, newState, now, displayTimeout, wrong);
        }

        boolean expired(Instant now) {
            return switch (state) {
                case DISPLAYED -> !now.isBefore(since.plus(displayTimeout));
                case RECEIVED -> !now.isBefore(since.plusSeconds(CODE_TIMEOUT_SECONDS));
                default -> false;
            };
        }
    }

    private final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    UserConsent(Clock clock) {
        this.clock = clock;
    }

    /** The current state, after dropping an exchange that has lapsed. */
    int state(String uuid) {
        Exchange e = live(uuid);
        return e == null ? NOT_STARTED : e.state;
    }

    private Exchange live(String uuid) {
        Instant now = clock.instant();
        Exchange e = exchanges.get(uuid);
        if (e != null && e.expired(now)) {
            exchanges.remove(uuid, e);
            LOG.info("VM {} ({}): user consent {} lapsed", e.machineName, uuid,
                    e.state == DISPLAYED ? "code" : "grant");
            return null;
        }
        return e;
    }

    /** StartOptIn: a new code, unless an exchange is already under way (NOT_READY). */
    synchronized long start(String uuid, String machineName, String user, long displayTimeoutSeconds) {
        if (live(uuid) != null) {
            return PT_NOT_READY;
        }
        int code = random.nextInt((int) MAX_CODE + 1);
        Exchange e = new Exchange(machineName, code, DISPLAYED, clock.instant(),
                Duration.ofSeconds(displayTimeoutSeconds), 0);
        exchanges.put(uuid, e);
        // The operator is the "local user" of a VM: the code reaches them through UserConsentCodes
        // (vamt:consent-code), never through the log, which others may read and which outlives the code.
        LOG.info("VM {} ({}): user consent code requested by {}; valid for {} s (vamt:consent-code shows it)",
                machineName, uuid, user, displayTimeoutSeconds);
        return PT_SUCCESS;
    }

    /** CancelOptIn: drops a displayed code or a received consent; nothing to cancel or a session is NOT_READY. */
    synchronized long cancel(String uuid) {
        Exchange e = live(uuid);
        if (e == null || e.state == IN_SESSION) {
            return PT_NOT_READY;
        }
        exchanges.remove(uuid);
        LOG.info("VM {} ({}): user consent request cancelled", e.machineName, uuid);
        return PT_SUCCESS;
    }

    /**
     * SendOptInCode: the right code while one is displayed grants consent (received); a wrong one
     * is PT_STATUS_UNSUPPORTED, as AMT answers; without a displayed code it is NOT_READY.
     */
    synchronized long send(String uuid, String user, Long code) {
        if (code == null || code < 0 || code > MAX_CODE) {
            return PT_INVALID_PARAMETER;
        }
        Exchange e = live(uuid);
        if (e == null || e.state != DISPLAYED) {
            return PT_NOT_READY;
        }
        Instant now = clock.instant();
        if (code != e.code) {
            int wrong = e.wrongCodes + 1;
            if (wrong >= MAX_WRONG_CODES) {
                exchanges.remove(uuid);
                LOG.warn("VM {} ({}): wrong user consent code from {}, {} times: request dropped", e.machineName,
                        uuid, user, wrong);
            } else {
                exchanges.put(uuid, new Exchange(e.machineName, e.code, e.state, e.since, e.displayTimeout, wrong));
                LOG.info("VM {} ({}): wrong user consent code from {}", e.machineName, uuid, user);
            }
            return PT_UNSUPPORTED;
        }
        exchanges.put(uuid, e.with(RECEIVED, now, 0));
        LOG.info("VM {} ({}): user consent granted to {}", e.machineName, uuid, user);
        return PT_SUCCESS;
    }

    /** A consented KVM session starts: RECEIVED becomes IN_SESSION; false without a received consent. */
    synchronized boolean beginSession(String uuid) {
        Exchange e = live(uuid);
        if (e == null || e.state != RECEIVED) {
            return false;
        }
        exchanges.put(uuid, e.with(IN_SESSION, clock.instant(), 0));
        LOG.info("VM {} ({}): user consent used by a KVM session", e.machineName, uuid);
        return true;
    }

    /** The consented session ended; the next session needs a new consent. */
    synchronized void endSession(String uuid) {
        Exchange e = exchanges.get(uuid);
        if (e != null && e.state == IN_SESSION) {
            exchanges.remove(uuid, e);
        }
    }

    Optional<ConsentCode> displayed(String uuid) {
        Exchange e = live(uuid);
        return e == null || e.state != DISPLAYED ? Optional.empty()
                : Optional.of(new ConsentCode(uuid, e.machineName, format(e.code), e.since.plus(e.displayTimeout)));
    }

    List<ConsentCode> allDisplayed() {
        List<ConsentCode> out = new ArrayList<>();
        for (String uuid : List.copyOf(exchanges.keySet())) {
            displayed(uuid).ifPresent(out::add);
        }
        return out;
    }

    private static String format(int code) {
        return String.format("%06d", code);
    }
}
