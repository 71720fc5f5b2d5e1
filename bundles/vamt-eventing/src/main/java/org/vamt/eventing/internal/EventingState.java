package org.vamt.eventing.internal;

import java.util.List;
import org.vamt.hypervisor.state.StateType;

/** A VM's WS-Eventing subscriptions: the {@code eventing} state namespace, owned by vamt-eventing. */
public record EventingState(List<StoredSubscription> subscriptions) {
    public static final StateType<EventingState> STATE =
            StateType.of("eventing", EventingState.class, new EventingState(List.of()));

    public EventingState {
        subscriptions = List.copyOf(subscriptions == null ? List.of() : subscriptions);
    }
}
