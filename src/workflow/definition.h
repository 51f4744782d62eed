// Checking an Amazon States Language definition before it runs: structure, fields per state
// type, transitions, paths, Choice rules, Retry and Catch, nested Parallel and Map machines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shoplake::workflow {

using json = nlohmann::json;

//! One problem in a definition. `state` names the state ("" for the top level); a state in a
//! Parallel branch or Map processor is named through its parent: "Fan/Branches[1]/Load".
struct ValidationError {
  std::string state;
  std::string field;
  std::string message;

  //! "state 'Load', field 'Next': ..." (one line).
  std::string ToString() const;
};

//! Every problem found in `definition`, in a stable order; empty when it is valid.
std::vector<ValidationError> Validate(const json& definition);

}  // namespace shoplake::workflow
