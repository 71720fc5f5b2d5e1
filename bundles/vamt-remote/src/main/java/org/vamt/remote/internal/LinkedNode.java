package org.vamt.remote.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.HypervisorException.Reason;
import org.vamt.remote.NodeHypervisor;
import org.vamt.remote.NodeLink;
import org.vamt.remote.internal.LinkCodec.Answer;
import org.vamt.remote.internal.LinkCodec.Call;

/**
 * A gateway's view of one node: its imported {@link NodeLink} as a {@link NodeHypervisor}. Each
 * method is one call in one request; {@link #call(List)} sends several at once. A node's failure
 * keeps its {@link Reason}; a link failure (refused, TLS, timeout, HTTP error) is UNAVAILABLE.
 */
final class LinkedNode implements InvocationHandler {
    private final NodeLink link;
    private final String nodeId;

    private LinkedNode(NodeLink link, String nodeId) {
        this.link = link;
        this.nodeId = nodeId;
    }

    static NodeHypervisor of(NodeLink link, String nodeId) {
        return (NodeHypervisor) Proxy.newProxyInstance(NodeHypervisor.class.getClassLoader(),
                new Class<?>[] {NodeHypervisor.class}, new LinkedNode(link, nodeId));
    }

    /** Sends the calls in one request; the answers in their order. UNAVAILABLE when the node cannot be reached. */
    List<Answer> call(List<Call> calls) throws HypervisorException {
        byte[] response;
        try {
            response = link.calls(LinkCodec.writeCalls(calls));
        } catch (RuntimeException e) {
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' cannot be reached: "
                    + rootMessage(e), e);
        }
        List<Answer> answers;
        try {
            answers = LinkCodec.readAnswers(response);
        } catch (java.io.IOException e) {
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' answered garbage: " + e.getMessage());
        }
        if (answers.size() != calls.size()) {
            throw new HypervisorException(Reason.UNAVAILABLE, "node '" + nodeId + "' answered " + answers.size()
                    + " of " + calls.size() + " calls");
        }
        return answers;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getClass().getSimpleName() + ": " + t;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "node '" + nodeId + "' over the vAMT link";
            };
        }
        Answer answer;
        try {
            answer = call(List.of(Call.of(method.getName(), args))).get(0);
        } catch (HypervisorException e) {
            throw failure(method, e.reason(), e.getMessage(), e.getCause());
        }
        if (answer.failed()) {
            throw failure(method, answer.reason(), answer.message(), null);
        }
        try {
            return LinkCodec.fromJson(answer.result(), method.getGenericReturnType());
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw failure(method, Reason.FAILED, "node '" + nodeId + "' answered " + method.getName()
                    + " with a value this gateway cannot read: " + e.getMessage(), e);
        }
    }

    /** The declared HypervisorException when the method has one, otherwise an unchecked one. */
    private static Exception failure(Method method, Reason reason, String message, Throwable cause) {
        if (Arrays.asList(method.getExceptionTypes()).contains(HypervisorException.class)) {
            return new HypervisorException(reason, message, cause);
        }
        return new IllegalStateException(reason + ": " + message, cause);
    }
}
