package org.vamt.eventing.internal;

import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Clock;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.security.RealmCheck;

/** Builds the real subscriptions service for tests in other packages (the WS-Management endpoint test). */
public final class EventingTestAccess {
    private EventingTestAccess() {
    }

    public static SubscriptionService service(Hypervisor hypervisor, RealmCheck realms, int maxPerVm, Path etc) {
        SubscriptionService s = new SubscriptionService(hypervisor, realms, config(maxPerVm, 2, 1000, 100),
                new SubscriberSeal(etc.resolve(SubscriberSeal.KEY_FILE)), Clock.systemUTC());
        s.loadAll();
        return s;
    }

    /** A configuration for tests: quick retries, a bounded outbox of 64 events. */
    static SubscriptionService.Config config(int maxPerVm, int attempts, long deliveryTimeoutMillis, long maxRetryMillis) {
        return new SubscriptionService.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return SubscriptionService.Config.class;
            }

            @Override
            public int maxSubscriptionsPerVm() {
                return maxPerVm;
            }

            @Override
            public int queuedEventsPerSubscriber() {
                return 64;
            }

            @Override
            public int deliveryAttempts() {
                return attempts;
            }

            @Override
            public long deliveryTimeoutMillis() {
                return deliveryTimeoutMillis;
            }

            @Override
            public long firstRetryMillis() {
                return 50;
            }

            @Override
            public long maxRetryMillis() {
                return maxRetryMillis;
            }
        };
    }
}
