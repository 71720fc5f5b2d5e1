package org.vamt.cim;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an extrinsic method returned: the ReturnValue and the output parameters, in the order
 * the client should see them (AMT lists outputs before ReturnValue).
 */
public record MethodResult(long returnValue, Map<String, Object> outputs) implements Serializable {
    public MethodResult {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    public static MethodResult of(long returnValue) {
        return new MethodResult(returnValue, Map.of());
    }
}
