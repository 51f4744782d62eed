// Definition substitutions: a state machine names what differs between places as SAM does,
// through ${Variable} placeholders in its strings ("Resource": "${IngestFunctionArn}"). On AWS
// the template's DefinitionSubstitutions fill them in; locally shoplake.yaml's
// workflow.bindings do, before the definition is validated.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workflow/definition.h"

namespace shoplake::workflow {

//! `definition` with every ${Variable} in its string values (at any depth, in nested
//! Parallel branches and Map processors too) replaced by bindings[Variable]. Each variable
//! without a binding is left as it is and reported in `unbound`, naming the state (as
//! Validate() does: "Fan/Branches[1]/Load") and the field ("Resource", "Parameters.url").
//! A variable's name is letters, digits and '_'; other text ("${}", "${a b}", "${" without a
//! closing '}') is no variable and stays as it is.
json SubstituteVariables(json definition, const std::map<std::string, std::string>& bindings,
                         std::vector<ValidationError>& unbound);

}  // namespace shoplake::workflow
