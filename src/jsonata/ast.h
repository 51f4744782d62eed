// The syntax tree of a JSONata expression after the reference's post-processing (paths of
// steps, stages, group-by, tuple bindings and parent slots), and function signatures.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "jsonata/value.h"

namespace shoplake::jsonata {

enum class NodeType : uint8_t {
  kPath,
  kBinary,
  kUnary,
  kFunction,
  kPartial,
  kLambda,
  kCondition,
  kTransform,
  kBlock,
  kName,
  kString,
  kNumber,
  kValue,
  kWildcard,
  kDescendant,
  kParent,
  kVariable,
  kRegex,
  kSort,
  kBind,
  kApply,
  kOperator,
  kEnd
};

struct Node;

//! Where a parent operator `%` finds its value: a binding label set by an ancestor step.
struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};
using SlotPtr = std::shared_ptr<Slot>;

struct Stage {
  bool is_filter = true;  // else an index binding `#$var`
  Node* expr = nullptr;
  std::string var;
  int position = 0;
};

struct SortTerm {
  bool descending = false;
  Node* expr = nullptr;
};

struct Group {
  std::vector<std::pair<Node*, Node*>> pairs;
  int position = 0;
};

//! One parameter of a function signature (`<s-n?:s>`).
struct SignatureParam {
  std::string accepts;   // type letters this parameter accepts ('m' = missing)
  char type = 0;         // s n b l o a f j x or '(' for a choice
  char quantifier = 0;   // 0, '?', '+'
  bool context = false;  // '-': take the context when missing
  std::string subtype;   // a<n>, f<...>
};

struct Signature {
  std::string definition;
  std::vector<SignatureParam> params;
};
std::shared_ptr<Signature> ParseSignature(const std::string& text, int position);

struct Regex {
  std::string pattern;
  std::string flags;
  std::regex compiled;
};

struct Node {
  NodeType type = NodeType::kEnd;
  std::string id;     // parser symbol
  std::string value;  // operator, name, string literal, variable name
  Value literal;      // string, number, true/false/null
  int position = 0;
  Node* lhs = nullptr;
  Node* rhs = nullptr;
  Node* expression = nullptr;
  std::vector<Node*> expressions;              // array constructor items, block items
  std::vector<std::pair<Node*, Node*>> pairs;  // object constructor
  Node* procedure = nullptr;
  std::vector<Node*> arguments;  // call arguments, lambda parameters
  Node* body = nullptr;
  std::shared_ptr<Signature> signature;
  Node* condition = nullptr;
  Node* then = nullptr;
  Node* otherwise = nullptr;
  Node* pattern = nullptr;
  Node* update = nullptr;
  Node* remove = nullptr;
  std::vector<Node*> steps;
  std::vector<SortTerm> terms;
  std::vector<Stage> stages;
  std::vector<Stage> predicate;
  bool has_stages = false;
  bool has_predicate = false;
  std::unique_ptr<Group> group;
  std::vector<std::pair<Node*, Node*>> rhs_pairs;  // parser only: `expr{...}`
  std::vector<SortTerm> rhs_terms;                 // parser only: `expr^(...)`
  std::string focus;
  std::string index;
  bool tuple = false;
  bool keep_array = false;
  bool keep_singleton_array = false;
  bool cons_array = false;
  bool thunk = false;
  SlotPtr ancestor;
  SlotPtr slot;
  std::vector<SlotPtr> seeking_parent;
  bool has_seeking_parent = false;
  std::shared_ptr<Regex> regex;
};

//! Owns the nodes of one parsed expression.
struct Ast {
  std::vector<std::unique_ptr<Node>> nodes;
  Node* root = nullptr;
  Node* New() {
    nodes.push_back(std::make_unique<Node>());
    return nodes.back().get();
  }
};

//! Parses an expression; throws Error S0xxx with the position of the offending token.
std::shared_ptr<Ast> Parse(const std::string& text);

}  // namespace shoplake::jsonata
