package org.vamt.itests;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Defines and undefines domains on the libvirt connection vAMT itself uses, from a test running in
 * the container: the test driver keeps its domains per connection, so virsh cannot reach them.
 * The connection is internal to the libvirt bundle, so it is reached by reflection; libvirt then
 * sends its lifecycle event as it would for virsh.
 */
final class TestDriverDomains {
    private TestDriverDomains() {
    }

    /** A small test-driver domain (64 MiB, one vCPU). */
    static String xml(String uuid, String name) {
        return "<domain type='test'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>";
    }

    static void define(BundleContext context, String uuid, String domainXml) throws Exception {
        call(context, true, uuid, domainXml);
    }

    static void undefine(BundleContext context, String uuid) throws Exception {
        call(context, false, uuid, null);
    }

    private static void call(BundleContext context, boolean define, String uuid, String domainXml) throws Exception {
        ServiceReference<?> ref = context.getServiceReference("org.vamt.hypervisor.Hypervisor");
        Object hypervisor = context.getService(ref);
        Method connectionOf = hypervisor.getClass().getDeclaredMethod("connection");
        connectionOf.setAccessible(true);
        Object connection = connectionOf.invoke(hypervisor);
        Class<?> callType = hypervisor.getClass().getClassLoader()
                .loadClass("org.vamt.libvirt.internal.LibvirtConnection$Call");
        Object call = Proxy.newProxyInstance(callType.getClassLoader(), new Class<?>[] {callType}, (proxy, m, args) -> {
            Object connect = args[0];
            if (define) {
                Object domain = connect.getClass().getMethod("domainDefineXML", String.class).invoke(connect, domainXml);
                domain.getClass().getMethod("free").invoke(domain);
            } else {
                Object domain = connect.getClass().getMethod("domainLookupByUUIDString", String.class)
                        .invoke(connect, uuid);
                domain.getClass().getMethod("undefine").invoke(domain);
            }
            return null;
        });
        Method callMethod = connection.getClass().getDeclaredMethod("call", String.class, String.class, callType);
        callMethod.setAccessible(true);
        callMethod.invoke(connection, define ? "define" : "undefine", uuid, call);
    }
}
