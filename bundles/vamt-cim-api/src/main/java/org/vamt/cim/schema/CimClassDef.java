package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * A class as declared in MOF: only its own (declared or overriding) properties and methods;
 * {@link CimSchema} resolves inheritance.
 *
 * @param superClass the direct superclass, or null for a root class
 */
public record CimClassDef(String name, String superClass, List<CimQualifier> qualifiers,
                          List<CimPropertyDef> properties, List<CimMethodDef> methods)
        implements Qualified, Serializable {
    public CimClassDef {
        Objects.requireNonNull(name, "name");
        qualifiers = List.copyOf(qualifiers);
        properties = List.copyOf(properties);
        methods = List.copyOf(methods);
    }

    public boolean isAssociation() {
        return is("Association");
    }

    public boolean isAbstract() {
        return is("Abstract");
    }
}
