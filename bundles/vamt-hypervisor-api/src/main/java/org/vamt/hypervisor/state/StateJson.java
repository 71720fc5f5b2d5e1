package org.vamt.hypervisor.state;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapping of per-VM state (Jackson databind): records by their components, sorted
 * keys so equal values give equal text, unknown properties ignored (a newer version's extra field
 * does not make the state unreadable), absent ones left at Java's default.
 */
public final class StateJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .build();

    private StateJson() {
    }

    /**
     * Loads and initialises the mapper now (about half a second on a fresh JVM), so the first state
     * write after a start (e.g. the event log's record of a power-on) is not that much late. Hypervisor
     * implementations call it when they activate.
     */
    public static void warmUp() {
        read(write(new WarmUp(1L, true, "up", java.util.List.of("x"), java.util.Map.of("k", false))), WarmUp.class);
    }

    /** A record with the kinds of components state values have, for {@link #warmUp}. */
    private record WarmUp(long number, boolean flag, String text, java.util.List<String> list,
                          java.util.Map<String, Boolean> map) {
    }

    /** The value as JSON text. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** The value from JSON text; IllegalArgumentException (with a short reason) when it is not one. */
    public static <T> T read(String json, Class<T> type) {
        try {
            T value = MAPPER.readValue(json, type);
            if (value == null) {
                throw new IllegalArgumentException("JSON null is not a " + type.getSimpleName());
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
