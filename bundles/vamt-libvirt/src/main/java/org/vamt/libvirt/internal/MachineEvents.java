package org.vamt.libvirt.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineListener;
import org.osgi.service.component.ComponentServiceObjects;

/**
 * Lifecycle events: libvirt's callbacks (on its event loop thread) translated into
 * {@link MachineEvent}s and delivered, in order, on one dispatcher thread to the
 * {@link MachineListener} whiteboard services and directly registered listeners.
 */
final class MachineEvents {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    static final String DISPATCH_THREAD_NAME = "vamt-libvirt-events";

    /** The machines to announce after a reconnect. */
    @FunctionalInterface
    interface MachineLister {
        List<MachineId> listMachineIds() throws HypervisorException;
    }

    private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.Map<ComponentServiceObjects<MachineListener>, LazyListener> lazyListeners =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final LifecycleListener lifecycle = this::onLifecycleEvent;
    private final MachineLister machines;
    private volatile ExecutorService dispatcher;

    MachineEvents(MachineLister machines) {
        this.machines = machines;
    }

    LifecycleListener lifecycle() {
        return lifecycle;
    }

    void start() {
        dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, DISPATCH_THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
    }

    void stop(long waitMs) {
        ExecutorService d = dispatcher;
        if (d != null) {
            d.shutdown();
            try {
                if (!d.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) {
                    d.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                d.shutdownNow();
            }
        }
    }

    void bind(ComponentServiceObjects<MachineListener> listener) {
        lazyListeners.put(listener, new LazyListener(listener));
    }

    void unbind(ComponentServiceObjects<MachineListener> listener) {
        LazyListener l = lazyListeners.remove(listener);
        if (l != null) {
            l.release();
        }
    }

    void add(MachineListener listener) {
        listeners.add(listener);
    }

    void remove(MachineListener listener) {
        listeners.remove(listener);
    }

    /** A listener service resolved on first use and released when it goes away. */
    private static final class LazyListener implements MachineListener {
        private final ComponentServiceObjects<MachineListener> objects;
        private MachineListener service;

        LazyListener(ComponentServiceObjects<MachineListener> objects) {
            this.objects = objects;
        }

        @Override
        public synchronized void machineChanged(MachineEvent event) {
            if (service == null) {
                service = objects.getService();
            }
            if (service != null) {
                service.machineChanged(event);
            }
        }

        synchronized void release() {
            if (service != null) {
                objects.ungetService(service);
                service = null;
            }
        }

        @Override
        public String toString() {
            return String.valueOf(objects.getServiceReference());
        }
    }

    static MachineEvent.Type eventType(DomainEventType t) {
        if (t == null) {
            return MachineEvent.Type.OTHER;
        }
        switch (t) {
            case DEFINED: return MachineEvent.Type.DEFINED;
            case UNDEFINED: return MachineEvent.Type.UNDEFINED;
            case STARTED: return MachineEvent.Type.STARTED;
            case SUSPENDED: return MachineEvent.Type.SUSPENDED;
            case RESUMED: return MachineEvent.Type.RESUMED;
            case STOPPED: return MachineEvent.Type.STOPPED;
            case SHUTDOWN: return MachineEvent.Type.SHUTDOWN;
            case PMSUSPENDED: return MachineEvent.Type.PM_SUSPENDED;
            case CRASHED: return MachineEvent.Type.CRASHED;
            default: return MachineEvent.Type.OTHER;
        }
    }

    /** libvirt lifecycle callback, on the event loop thread: translate, then hand to the dispatcher. */
    private int onLifecycleEvent(Domain d, DomainEvent event) {
        try {
            String uuid = Domains.fromLibvirt(d.getUUIDString());
            String name = d.getName();
            MachineEvent.Type type = eventType(event.getType());
            Object detail;
            try {
                detail = event.getDetail();
            } catch (RuntimeException e) {
                detail = "?";
            }
            LOG.info("Machine '{}' ({}): {} ({} {})", name, uuid, type, event.getType(), detail);
            dispatch(new MachineEvent(uuid, name, type));
        } catch (LibvirtException | RuntimeException e) {
            LOG.warn("Cannot translate libvirt event {}: {}", event, e.toString());
        } finally {
            Domains.free(d);
        }
        return 0;
    }

    /** After a reconnect the state may have changed unseen: one OTHER event per machine. */
    void onConnected(VamtConnect c, boolean reconnect) {
        if (!reconnect) {
            return;
        }
        ExecutorService d = dispatcher;
        if (d == null) {
            return;
        }
        try {
            d.execute(() -> {
                try {
                    for (MachineId m : machines.listMachineIds()) {
                        deliver(new MachineEvent(m.uuid(), m.name(), MachineEvent.Type.OTHER));
                    }
                } catch (HypervisorException e) {
                    LOG.warn("After reconnecting: cannot list machines: {}", e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // deactivating
        }
    }

    private void dispatch(MachineEvent event) {
        ExecutorService d = dispatcher;
        if (d == null) {
            return;
        }
        try {
            d.execute(() -> deliver(event));
        } catch (RejectedExecutionException e) {
            LOG.debug("Dropped {} (deactivating)", event);
        }
    }

    private void deliver(MachineEvent event) {
        List<MachineListener> all = new java.util.ArrayList<>(listeners);
        all.addAll(lazyListeners.values());
        for (MachineListener l : all) {
            try {
                l.machineChanged(event);
            } catch (Exception | LinkageError e) {
                LOG.warn("MachineListener {} failed on {} of '{}' ({}): {}", l, event.type(), event.name(),
                        event.uuid(), e.toString(), e);
            }
        }
    }}
