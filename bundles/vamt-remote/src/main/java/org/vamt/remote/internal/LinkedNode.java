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
    /**
     * How long the node may hold the call this thread is sending ({@code changes}): the link's client
     * waits that much longer than its call timeout for the answer (MutualTlsIntent reads it).
     */
    private static final ThreadLocal<Long> HELD_MILLIS = new ThreadLocal<>();

    private final NodeLink link;
    private final String nodeId;

    private LinkedNode(NodeLink link, String nodeId) {
        this.link = link;
        this.nodeId = nodeId;
    }

    /** The hold of the call this thread is sending, or null when it is an ordinary call. */
    static Long heldMillis() {
        return HELD_MILLIS.get();
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
        boolean held = "changes".equals(method.getName()) && args != null && args.length == 3 && args[2] instanceof Long;
        if (held) {
            HELD_MILLIS.set((Long) args[2]);
        }
        try {
            answer = call(List.of(Call.of(method.getName(), args))).get(0);
        } catch (HypervisorException e) {
            throw failure(method, e.reason(), e.getMessage(), e.getCause());
        } finally {
            if (held) {
                HELD_MILLIS.remove();
            }
        }
        return decode(method, answer);
    }

    /** The answer's value as the method's return type, or its failure as the method declares it. */
    private Object decode(Method method, Answer answer) throws Exception {
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

    /** A call of a {@link NodeHypervisor} method, to send in a batch. */
    record Invocation(Method method, Object[] args) {
    }

    /** One call's value, or its failure. */
    record Outcome(Object value, HypervisorException failure) {
        boolean ok() {
            return failure == null;
        }

        Object get() throws HypervisorException {
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }

    /**
     * Runs the invocations on the node in order, in one round trip when it is a linked node (in-process
     * nodes, in tests, one by one). Throws only when the node cannot be reached; each call's own failure
     * is its outcome.
     */
    static List<Outcome> batch(NodeHypervisor node, List<Invocation> invocations) throws HypervisorException {
        List<Outcome> outcomes = new java.util.ArrayList<>(invocations.size());
        if (Proxy.isProxyClass(node.getClass()) && Proxy.getInvocationHandler(node) instanceof LinkedNode linked) {
            List<Answer> answers = linked.call(invocations.stream().map(i -> Call.of(i.method().getName(), i.args()))
                    .toList());
            for (int i = 0; i < answers.size(); i++) {
                Method method = invocations.get(i).method();
                Answer answer = answers.get(i);
                outcomes.add(outcome(() -> linked.decode(method, answer)));
            }
            return outcomes;
        }
        for (Invocation i : invocations) {
            outcomes.add(outcome(() -> {
                try {
                    return i.method().invoke(node, i.args());
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }));
        }
        return outcomes;
    }

    private interface Value {
        Object get() throws Exception;
    }

    private static Outcome outcome(Value value) {
        try {
            return new Outcome(value.get(), null);
        } catch (HypervisorException e) {
            return new Outcome(null, e);
        } catch (Exception e) {
            return new Outcome(null, new HypervisorException(Reason.FAILED, String.valueOf(e.getMessage()), e));
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
