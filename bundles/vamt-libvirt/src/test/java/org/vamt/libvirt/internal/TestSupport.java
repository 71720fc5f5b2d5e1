package org.vamt.libvirt.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineListener;

/** Helpers for tests against libvirt's test driver. */
final class TestSupport {

    private TestSupport() {
    }

    /** A {@link LibvirtHypervisor.Config} with the annotation defaults, overridden by {@code values}. */
    static LibvirtHypervisor.Config config(Map<String, Object> values) {
        Map<String, Object> v = new HashMap<>(values);
        return (LibvirtHypervisor.Config) Proxy.newProxyInstance(TestSupport.class.getClassLoader(),
                new Class<?>[] {LibvirtHypervisor.Config.class}, (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return LibvirtHypervisor.Config.class;
                    }
                    if (v.containsKey(method.getName())) {
                        return v.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    if (method.getName().equals("toString")) {
                        return "Config" + v;
                    }
                    if (method.getName().equals("hashCode")) {
                        return System.identityHashCode(proxy);
                    }
                    if (method.getName().equals("equals")) {
                        return proxy == args[0];
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    static LibvirtHypervisor.Config config(String uri) {
        return config(Map.of("uri", uri));
    }

    /** {@code test://} + absolute path of a test resource. */
    static String testUri(String resource) {
        URL url = TestSupport.class.getResource(resource);
        if (url == null) {
            throw new IllegalArgumentException("no test resource " + resource);
        }
        try {
            return testUri(Paths.get(url.toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String testUri(Path file) {
        return "test://" + file.toAbsolutePath().normalize();
    }

    /** Records events; {@link #await} waits for a specific one. */
    static final class Recorder implements MachineListener {
        final BlockingQueue<MachineEvent> events = new LinkedBlockingQueue<>();

        @Override
        public void machineChanged(MachineEvent event) {
            events.add(event);
        }

        /** Waits up to 5 s for an event of that type for that machine, skipping others. */
        MachineEvent await(String uuid, MachineEvent.Type type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            StringBuilder seen = new StringBuilder();
            while (true) {
                long left = deadline - System.nanoTime();
                MachineEvent e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                if (e == null) {
                    fail("no " + type + " event for " + uuid + " within 5 s; saw:" + seen);
                }
                if (e.uuid().equals(uuid) && e.type() == type) {
                    return e;
                }
                seen.append(' ').append(e.name()).append('/').append(e.type());
            }
        }

        /** Events that arrive within {@code ms}. */
        java.util.List<MachineEvent> drain(long ms) throws InterruptedException {
            Thread.sleep(ms);
            java.util.List<MachineEvent> list = new java.util.ArrayList<>();
            events.drainTo(list);
            return list;
        }
    }
}
