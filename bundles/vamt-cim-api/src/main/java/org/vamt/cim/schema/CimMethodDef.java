package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/** An extrinsic method: return type, parameters in order, qualifiers. */
public record CimMethodDef(String name, CimDataType returnType, List<CimParameterDef> parameters,
                           List<CimQualifier> qualifiers) implements Qualified, Serializable {
    public CimMethodDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(returnType, "returnType");
        parameters = List.copyOf(parameters);
        qualifiers = List.copyOf(qualifiers);
    }

    public java.util.Optional<CimParameterDef> parameter(String name) {
        return parameters.stream().filter(p -> p.name().equalsIgnoreCase(name)).findFirst();
    }
}
