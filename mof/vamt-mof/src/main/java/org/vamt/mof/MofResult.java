package org.vamt.mof;

import java.util.List;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimQualifierType;

/** What one compilation declared, in declaration order (included files in place of their pragma). */
public record MofResult(List<CimQualifierType> qualifierTypes, List<CimClassDef> classes) {
    public MofResult {
        qualifierTypes = List.copyOf(qualifierTypes);
        classes = List.copyOf(classes);
    }
}
