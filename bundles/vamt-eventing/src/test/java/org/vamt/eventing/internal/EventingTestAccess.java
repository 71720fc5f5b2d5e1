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
        SubscriptionService s = new SubscriptionService(hypervisor, realms, new SubscriptionService.Config() {
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
                return 2;
            }

            @Override
            public long deliveryTimeoutMillis() {
                return 1000;
            }

            @Override
            public long firstRetryMillis() {
                return 50;
            }

            @Override
            public long maxRetryMillis() {
                return 100;
            }
        }, new SubscriberSeal(etc.resolve(SubscriberSeal.KEY_FILE)), Clock.systemUTC());
        s.loadAll();
        return s;
    }
}
