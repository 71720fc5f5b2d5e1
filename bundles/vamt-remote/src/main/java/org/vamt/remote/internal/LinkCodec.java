package org.vamt.remote.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vamt.hypervisor.HypervisorException.Reason;

/**
 * The JSON of {@link org.vamt.remote.NodeLink}: a batch of calls, a batch of answers. Values are
 * plain JSON of the hypervisor API's records, enums, strings and collections; the reader always
 * names the Java type (the declared parameter or return type), so a message can never choose a
 * class. {@code Optional} travels as its value or null.
 */
final class LinkCodec {
    /** Calls in one request at most: a gateway batches one WS-Management request's calls, not a fleet's. */
    static final int MAX_CALLS = 1_000;

    static final ObjectMapper MAPPER = JsonMapper.builder()
            // a newer peer may add record fields; an older one reads what it knows
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .build();

    private LinkCodec() {
    }

    /** One hypervisor call: its method name and its arguments as JSON. */
    record Call(String method, List<JsonNode> args) {
        static Call of(String method, Object... args) {
            List<JsonNode> json = new ArrayList<>();
            if (args != null) {
                for (Object a : args) {
                    json.add(toJson(a));
                }
            }
            return new Call(method, json);
        }
    }

    /** A call's outcome: its result (JSON null for void and empty) or a failure with its reason. */
    record Answer(JsonNode result, Reason reason, String message) {
        static Answer ok(Object value) {
            return new Answer(toJson(value), null, null);
        }

        static Answer failed(Reason reason, String message) {
            return new Answer(NullNode.getInstance(), reason, message == null ? "" : message);
        }

        boolean failed() {
            return reason != null;
        }
    }

    static JsonNode toJson(Object value) {
        Object plain = value instanceof Optional<?> o ? o.orElse(null) : value;
        return plain == null ? NullNode.getInstance() : MAPPER.valueToTree(plain);
    }

    /** Reads {@code json} as the declared {@code type}; an {@code Optional<T>} from T's value or null. */
    static Object fromJson(JsonNode json, Type type) throws IOException {
        if (type instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            return Optional.ofNullable(fromJson(json, p.getActualTypeArguments()[0]));
        }
        if (type == void.class || type == Void.class) {
            return null;
        }
        if (json == null || json.isNull()) {
            if (type instanceof Class<?> c && c.isPrimitive()) {
                throw new IOException("null for a " + c.getName());
            }
            return null;
        }
        return MAPPER.readerFor(MAPPER.constructType(type)).readValue(json);
    }

    static byte[] writeCalls(List<Call> calls) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("calls");
        for (Call c : calls) {
            ObjectNode call = array.addObject();
            call.put("method", c.method());
            call.putArray("args").addAll(c.args());
        }
        return bytes(root);
    }

    /** The calls of a request; IOException when it is not a well-formed batch. */
    static List<Call> readCalls(byte[] request) throws IOException {
        JsonNode calls = MAPPER.readTree(request).get("calls");
        if (calls == null || !calls.isArray()) {
            throw new IOException("no \"calls\" array");
        }
        if (calls.size() > MAX_CALLS) {
            throw new IOException(calls.size() + " calls in one request; at most " + MAX_CALLS);
        }
        List<Call> out = new ArrayList<>();
        for (JsonNode c : calls) {
            JsonNode method = c.get("method");
            JsonNode args = c.get("args");
            if (method == null || !method.isTextual() || (args != null && !args.isArray())) {
                throw new IOException("a call needs a \"method\" name and an \"args\" array");
            }
            List<JsonNode> list = new ArrayList<>();
            if (args != null) {
                args.forEach(list::add);
            }
            out.add(new Call(method.asText(), list));
        }
        return out;
    }

    static byte[] writeAnswers(List<Answer> answers) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("answers");
        for (Answer a : answers) {
            ObjectNode answer = array.addObject();
            if (a.failed()) {
                answer.put("reason", a.reason().name());
                answer.put("message", a.message());
            } else {
                answer.set("result", a.result());
            }
        }
        return bytes(root);
    }

    /** The answers of a response; a reason this side does not know is FAILED. */
    static List<Answer> readAnswers(byte[] response) throws IOException {
        JsonNode answers = MAPPER.readTree(response).get("answers");
        if (answers == null || !answers.isArray()) {
            throw new IOException("no \"answers\" array");
        }
        List<Answer> out = new ArrayList<>();
        for (JsonNode a : answers) {
            JsonNode reason = a.get("reason");
            if (reason != null && !reason.isNull()) {
                Reason r;
                try {
                    r = Reason.valueOf(reason.asText());
                } catch (IllegalArgumentException unknown) {
                    r = Reason.FAILED;
                }
                out.add(Answer.failed(r, a.path("message").asText("")));
            } else {
                JsonNode result = a.get("result");
                out.add(new Answer(result == null ? NullNode.getInstance() : result, null, null));
            }
        }
        return out;
    }

    private static byte[] bytes(JsonNode root) {
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written: " + e.getMessage(), e);
        }
    }
}
