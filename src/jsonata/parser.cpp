// Tokenizer, Pratt parser and the post-processing pass of the reference implementation:
// the same binding powers, the same error codes and positions.
#include <cmath>
#include <cstring>
#include <map>

#include "jsonata/ast.h"

namespace shoplake::jsonata {
namespace {

int BindingPower(const std::string& id) {
  static const std::map<std::string, int> kPowers = {
      {".", 75},  {"[", 80},  {"{", 70},  {"(", 80},  {"@", 80},  {"#", 80},  {"?", 20},
      {"+", 50},  {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},  {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},  {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40}, {"and", 30},
      {"or", 25}, {"in", 40}, {"&", 50},  {":=", 10}};
  auto it = kPowers.find(id);
  return it == kPowers.end() ? 0 : it->second;
}

bool IsOperatorChar(char c) { return c != 0 && std::strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

struct Token {
  enum Kind { kNone, kOperator, kName, kVariable, kString, kNumber, kValue, kRegex } kind = kNone;
  std::string text;
  Value literal;
  std::shared_ptr<Regex> regex;
  int position = 0;
};

class Lexer {
 public:
  explicit Lexer(const std::string& s) : src_(s) {}
  Token Next(bool prefix);

 private:
  char At(size_t i) const { return i < src_.size() ? src_[i] : 0; }
  Token Make(Token::Kind kind, std::string text) {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.position = static_cast<int>(pos_);
    return t;
  }
  Token ScanString(char quote);
  Token ScanRegex();
  Token ScanName();
  bool SkipSpaceAndComments();

  const std::string& src_;
  size_t pos_ = 0;
};

bool Lexer::SkipSpaceAndComments() {
  for (;;) {
    while (pos_ < src_.size() && IsSpace(src_[pos_])) ++pos_;
    if (At(pos_) == '/' && At(pos_ + 1) == '*') {
      size_t start = pos_;
      pos_ += 2;
      while (!(At(pos_) == '*' && At(pos_ + 1) == '/')) {
        ++pos_;
        if (pos_ >= src_.size()) Throw("S0106", static_cast<int>(start));
      }
      pos_ += 2;
      continue;
    }
    return pos_ < src_.size();
  }
}

Token Lexer::ScanString(char quote) {
  ++pos_;
  std::string out;
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == '\\') {
      ++pos_;
      c = At(pos_);
      switch (c) {
        case '"':
        case '\\':
        case '/':
          out += c;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::string hex = src_.substr(pos_ + 1, 4);
          if (hex.size() != 4 ||
              hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            Throw("S0104", static_cast<int>(pos_));
          }
          char32_t cp = static_cast<char32_t>(std::stoul(hex, nullptr, 16));
          pos_ += 4;
          if (cp >= 0xD800 && cp < 0xDC00 && At(pos_ + 1) == '\\' && At(pos_ + 2) == 'u') {
            std::string low = src_.substr(pos_ + 3, 4);
            if (low.size() == 4 &&
                low.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
              char32_t lo = static_cast<char32_t>(std::stoul(low, nullptr, 16));
              if (lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                pos_ += 6;
              }
            }
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          Throw("S0103", static_cast<int>(pos_), std::string(1, c));
      }
    } else if (c == quote) {
      ++pos_;
      Token t = Make(Token::kString, out);
      t.literal = Value::String(std::move(out));
      return t;
    } else {
      out += c;
    }
    ++pos_;
  }
  Throw("S0101", static_cast<int>(pos_));
}

Token Lexer::ScanRegex() {
  ++pos_;
  size_t start = pos_;
  int depth = 0;
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == '/' && depth == 0) {
      size_t backslashes = 0;
      while (pos_ >= backslashes + 1 && src_[pos_ - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) {
        std::string pattern = src_.substr(start, pos_ - start);
        if (pattern.empty()) Throw("S0301", static_cast<int>(pos_));
        ++pos_;
        size_t flag_start = pos_;
        while (At(pos_) == 'i' || At(pos_) == 'm') ++pos_;
        auto re = std::make_shared<Regex>();
        re->pattern = pattern;
        re->flags = src_.substr(flag_start, pos_ - flag_start);
        auto options = std::regex::ECMAScript;
        if (re->flags.find('i') != std::string::npos) options |= std::regex::icase;
        if (re->flags.find('m') != std::string::npos) options |= std::regex::multiline;
        try {
          re->compiled = std::regex(pattern, options);
        } catch (const std::regex_error&) {
          Throw("S0302", static_cast<int>(pos_));
        }
        Token t = Make(Token::kRegex, pattern);
        t.regex = re;
        return t;
      }
    }
    bool escaped = pos_ > 0 && src_[pos_ - 1] == '\\';
    if ((c == '(' || c == '[' || c == '{') && !escaped) ++depth;
    if ((c == ')' || c == ']' || c == '}') && !escaped) --depth;
    ++pos_;
  }
  Throw("S0302", static_cast<int>(pos_));
}

Token Lexer::ScanName() {
  size_t i = pos_;
  while (i < src_.size() && !IsSpace(src_[i]) && !IsOperatorChar(src_[i])) ++i;
  if (src_[pos_] == '$') {
    std::string name = src_.substr(pos_ + 1, i - pos_ - 1);
    pos_ = i;
    return Make(Token::kVariable, name);
  }
  std::string name = src_.substr(pos_, i - pos_);
  pos_ = i;
  if (name == "or" || name == "in" || name == "and") return Make(Token::kOperator, name);
  if (name == "true" || name == "false" || name == "null") {
    Token t = Make(Token::kValue, name);
    t.literal = name == "null" ? Value::Null() : Value::Bool(name == "true");
    return t;
  }
  return Make(Token::kName, name);
}

Token Lexer::Next(bool prefix) {
  if (!SkipSpaceAndComments()) return Token{};
  char c = src_[pos_];
  if (!prefix && c == '/') return ScanRegex();
  static const char* kDouble[] = {"..", ":=", "!=", ">=", "<=", "**", "~>"};
  for (const char* op : kDouble) {
    if (c == op[0] && At(pos_ + 1) == op[1]) {
      pos_ += 2;
      return Make(Token::kOperator, op);
    }
  }
  if (IsOperatorChar(c)) {
    ++pos_;
    return Make(Token::kOperator, std::string(1, c));
  }
  if (c == '"' || c == '\'') return ScanString(c);
  if (c >= '0' && c <= '9') {
    size_t i = pos_;
    if (src_[i] == '0') {
      ++i;
    } else {
      while (std::isdigit(static_cast<unsigned char>(At(i)))) ++i;
    }
    if (At(i) == '.' && std::isdigit(static_cast<unsigned char>(At(i + 1)))) {
      ++i;
      while (std::isdigit(static_cast<unsigned char>(At(i)))) ++i;
    }
    if ((At(i) == 'e' || At(i) == 'E')) {
      size_t j = i + 1;
      if (At(j) == '+' || At(j) == '-') ++j;
      if (std::isdigit(static_cast<unsigned char>(At(j)))) {
        while (std::isdigit(static_cast<unsigned char>(At(j)))) ++j;
        i = j;
      }
    }
    std::string text = src_.substr(pos_, i - pos_);
    double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) Throw("S0102", static_cast<int>(pos_), text);
    pos_ = i;
    Token t = Make(Token::kNumber, text);
    t.literal = Value::Number(d);
    return t;
  }
  if (c == '`') {
    ++pos_;
    size_t end = src_.find('`', pos_);
    if (end == std::string::npos) {
      pos_ = src_.size();
      Throw("S0105", static_cast<int>(pos_));
    }
    std::string name = src_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return Make(Token::kName, name);
  }
  return ScanName();
}

class Parser {
 public:
  Parser(const std::string& src, Ast& ast) : src_(src), lexer_(src), ast_(ast) {}
  Node* ParseAll();

 private:
  Node* Advance(const char* id = nullptr, bool infix = false);
  Node* Expression(int rbp);
  Node* Nud(Node* t);
  Node* Led(Node* t, Node* left);
  Node* CallLed(Node* t, Node* left);
  Node* LambdaSignatureAndBody(Node* t);
  Node* ObjectParser(Node* t, Node* left);
  Node* Process(Node* expr);
  Node* ProcessBinary(Node* expr);
  Node* ProcessPath(Node* expr);
  Node* ProcessPredicate(Node* expr);
  Node* ProcessUnary(Node* expr);
  Node* ProcessFocusIndex(Node* expr);
  Node* TailCallOptimize(Node* expr);
  SlotPtr SeekParent(Node* node, SlotPtr slot);
  void PushAncestry(Node* result, Node* value);
  void ResolveAncestry(Node* path);
  int lbp(const Node* n) const { return n->type == NodeType::kOperator ? BindingPower(n->id) : 0; }

  const std::string& src_;
  Lexer lexer_;
  Ast& ast_;
  Node* node_ = nullptr;
  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
  std::vector<Node*> ancestry_;
  int nesting_ = 0;
};

Node* Parser::Advance(const char* id, bool infix) {
  if (id && node_->id != id) {
    throw Error(node_->id == "(end)" ? "S0203" : "S0202", id, node_->position, node_->value);
  }
  Token t = lexer_.Next(infix);
  Node* n = ast_.New();
  n->position = t.position;
  n->value = t.text;
  switch (t.kind) {
    case Token::kNone:
      n->id = "(end)";
      n->type = NodeType::kEnd;
      n->position = static_cast<int>(src_.size());
      break;
    case Token::kName:
      n->id = "(name)";
      n->type = NodeType::kName;
      break;
    case Token::kVariable:
      n->id = "(name)";
      n->type = NodeType::kVariable;
      break;
    case Token::kOperator:
      n->id = t.text;
      n->type = NodeType::kOperator;
      if (t.text == "!" || t.text == "~") Throw("S0204", t.position, t.text);
      break;
    case Token::kString:
      n->id = "(literal)";
      n->type = NodeType::kString;
      break;
    case Token::kNumber:
      n->id = "(literal)";
      n->type = NodeType::kNumber;
      break;
    case Token::kValue:
      n->id = "(literal)";
      n->type = NodeType::kValue;
      break;
    case Token::kRegex:
      n->id = "(regex)";
      n->type = NodeType::kRegex;
      break;
  }
  n->literal = t.literal;
  n->regex = t.regex;
  node_ = n;
  return n;
}

// Nesting deeper than this is refused (U1001) before it can exhaust the stack.
constexpr int kMaxNesting = 1000;

struct NestingGuard {
  int& depth;
  explicit NestingGuard(int& d) : depth(d) {
    if (++depth > kMaxNesting) {
      throw Error("U1001", "the expression nests more than 1000 levels deep");
    }
  }
  ~NestingGuard() { --depth; }
};

Node* Parser::Expression(int rbp) {
  NestingGuard guard(nesting_);
  Node* t = node_;
  Advance(nullptr, true);
  Node* left = Nud(t);
  while (rbp < lbp(node_)) {
    t = node_;
    Advance();
    left = Led(t, left);
  }
  return left;
}

Node* Parser::Nud(Node* t) {
  if (t->type != NodeType::kOperator) return t;  // names, literals, regex, end
  const std::string& id = t->id;
  if (id == "and" || id == "or" || id == "in") return t;
  if (id == "-") {
    t->expression = Expression(70);
    t->type = NodeType::kUnary;
    return t;
  }
  if (id == "*") {
    t->type = NodeType::kWildcard;
    return t;
  }
  if (id == "**") {
    t->type = NodeType::kDescendant;
    return t;
  }
  if (id == "%") {
    t->type = NodeType::kParent;
    return t;
  }
  if (id == "(") {
    while (node_->id != ")") {
      t->expressions.push_back(Expression(0));
      if (node_->id != ";") break;
      Advance(";");
    }
    Advance(")", true);
    t->type = NodeType::kBlock;
    return t;
  }
  if (id == "[") {
    if (node_->id != "]") {
      for (;;) {
        Node* item = Expression(0);
        if (node_->id == "..") {
          Node* range = ast_.New();
          range->type = NodeType::kBinary;
          range->value = "..";
          range->position = node_->position;
          range->lhs = item;
          Advance("..");
          range->rhs = Expression(0);
          item = range;
        }
        t->expressions.push_back(item);
        if (node_->id != ",") break;
        Advance(",");
      }
    }
    Advance("]", true);
    t->type = NodeType::kUnary;
    return t;
  }
  if (id == "{") return ObjectParser(t, nullptr);
  if (id == "|") {
    t->type = NodeType::kTransform;
    t->pattern = Expression(0);
    Advance("|");
    t->update = Expression(0);
    if (node_->id == ",") {
      Advance(",");
      t->remove = Expression(0);
    }
    Advance("|");
    return t;
  }
  Throw("S0211", t->position, t->value);
}

Node* Parser::ObjectParser(Node* t, Node* left) {
  std::vector<std::pair<Node*, Node*>> pairs;
  if (node_->id != "}") {
    for (;;) {
      Node* n = Expression(0);
      Advance(":");
      Node* v = Expression(0);
      pairs.emplace_back(n, v);
      if (node_->id != ",") break;
      Advance(",");
    }
  }
  Advance("}", true);
  if (!left) {
    t->pairs = std::move(pairs);
    t->type = NodeType::kUnary;
  } else {
    t->lhs = left;
    t->rhs_pairs = std::move(pairs);
    t->type = NodeType::kBinary;
  }
  return t;
}

Node* Parser::CallLed(Node* t, Node* left) {
  t->procedure = left;
  t->type = NodeType::kFunction;
  if (node_->id != ")") {
    for (;;) {
      if (node_->type == NodeType::kOperator && node_->id == "?") {
        t->type = NodeType::kPartial;
        t->arguments.push_back(node_);
        Advance("?");
      } else {
        t->arguments.push_back(Expression(0));
      }
      if (node_->id != ",") break;
      Advance(",");
    }
  }
  Advance(")", true);
  if (left->type == NodeType::kName && (left->value == "function" || left->value == "\u03BB")) {
    return LambdaSignatureAndBody(t);
  }
  return t;
}

Node* Parser::LambdaSignatureAndBody(Node* t) {
  for (size_t i = 0; i < t->arguments.size(); ++i) {
    Node* arg = t->arguments[i];
    if (arg->type != NodeType::kVariable) Throw("S0208", arg->position, arg->value);
  }
  t->type = NodeType::kLambda;
  if (node_->id == "<") {
    int sig_pos = node_->position;
    int depth = 1;
    std::string sig = "<";
    while (depth > 0 && node_->id != "{" && node_->id != "(end)") {
      Node* tok = Advance();
      if (tok->id == ">") {
        --depth;
      } else if (tok->id == "<") {
        ++depth;
      }
      sig += tok->value;
    }
    Advance(">");
    t->signature = ParseSignature(sig, sig_pos);
  }
  Advance("{");
  t->body = Expression(0);
  Advance("}");
  return t;
}

Node* Parser::Led(Node* t, Node* left) {
  const std::string& id = t->id;
  if (id == "(") return CallLed(t, left);
  if (id == "[") {
    if (node_->id == "]") {
      Node* step = left;
      while (step && step->type == NodeType::kBinary && step->value == "[") step = step->lhs;
      step->keep_array = true;
      Advance("]");
      return left;
    }
    t->lhs = left;
    t->rhs = Expression(0);
    t->type = NodeType::kBinary;
    Advance("]", true);
    return t;
  }
  if (id == "^") {
    Advance("(");
    for (;;) {
      SortTerm term;
      if (node_->id == "<") {
        Advance("<");
      } else if (node_->id == ">") {
        term.descending = true;
        Advance(">");
      }
      term.expr = Expression(0);
      t->rhs_terms.push_back(term);
      if (node_->id != ",") break;
      Advance(",");
    }
    Advance(")");
    t->lhs = left;
    t->type = NodeType::kBinary;
    return t;
  }
  if (id == "{") return ObjectParser(t, left);
  if (id == ":=") {
    if (left->type != NodeType::kVariable) Throw("S0212", left->position, left->value);
    t->lhs = left;
    t->rhs = Expression(BindingPower(":=") - 1);
    t->type = NodeType::kBinary;
    return t;
  }
  if (id == "@" || id == "#") {
    t->lhs = left;
    t->rhs = Expression(BindingPower(id));
    if (t->rhs->type != NodeType::kVariable) Throw("S0214", t->rhs->position, id);
    t->type = NodeType::kBinary;
    return t;
  }
  if (id == "?") {
    t->type = NodeType::kCondition;
    t->condition = left;
    t->then = Expression(0);
    if (node_->id == ":") {
      Advance(":");
      t->otherwise = Expression(0);
    }
    return t;
  }
  t->lhs = left;
  t->rhs = Expression(BindingPower(id));
  t->type = NodeType::kBinary;
  return t;
}

SlotPtr Parser::SeekParent(Node* node, SlotPtr slot) {
  switch (node->type) {
    case NodeType::kName:
    case NodeType::kWildcard:
      slot->level--;
      if (slot->level == 0) {
        if (!node->ancestor) {
          node->ancestor = slot;
        } else {
          ancestry_[slot->index]->slot->label = node->ancestor->label;
          node->ancestor = slot;
        }
        node->tuple = true;
      }
      break;
    case NodeType::kParent:
      slot->level++;
      break;
    case NodeType::kBlock:
      if (!node->expressions.empty()) {
        node->tuple = true;
        slot = SeekParent(node->expressions.back(), slot);
      }
      break;
    case NodeType::kPath: {
      node->tuple = true;
      int index = static_cast<int>(node->steps.size()) - 1;
      slot = SeekParent(node->steps[index--], slot);
      while (slot->level > 0 && index >= 0) slot = SeekParent(node->steps[index--], slot);
      break;
    }
    default:
      Throw("S0217", node->position, node->value);
  }
  return slot;
}

void Parser::PushAncestry(Node* result, Node* value) {
  if (!value->has_seeking_parent && value->type != NodeType::kParent) return;
  std::vector<SlotPtr> slots = value->seeking_parent;
  if (value->type == NodeType::kParent) slots.push_back(value->slot);
  result->seeking_parent.insert(result->seeking_parent.end(), slots.begin(), slots.end());
  result->has_seeking_parent = true;
}

void Parser::ResolveAncestry(Node* path) {
  int index = static_cast<int>(path->steps.size()) - 1;
  Node* last = path->steps[index];
  std::vector<SlotPtr> slots = last->seeking_parent;
  if (last->type == NodeType::kParent) slots.push_back(last->slot);
  for (SlotPtr slot : slots) {
    index = static_cast<int>(path->steps.size()) - 2;
    while (slot->level > 0) {
      if (index < 0) {
        path->seeking_parent.push_back(slot);
        path->has_seeking_parent = true;
        break;
      }
      Node* step = path->steps[index--];
      while (index >= 0 && !step->focus.empty() && !path->steps[index]->focus.empty()) {
        step = path->steps[index--];
      }
      slot = SeekParent(step, slot);
    }
  }
}

Node* Parser::ProcessPath(Node* expr) {
  Node* lstep = Process(expr->lhs);
  Node* result;
  if (lstep->type == NodeType::kPath) {
    result = lstep;
  } else {
    result = ast_.New();
    result->type = NodeType::kPath;
    result->position = expr->position;
    result->steps.push_back(lstep);
  }
  if (lstep->type == NodeType::kParent) {
    result->seeking_parent = {lstep->slot};
    result->has_seeking_parent = true;
  }
  Node* rest = Process(expr->rhs);
  if (rest->type == NodeType::kPath) {
    result->steps.insert(result->steps.end(), rest->steps.begin(), rest->steps.end());
  } else {
    if (rest->has_predicate) {
      rest->stages = std::move(rest->predicate);
      rest->has_stages = true;
      rest->predicate.clear();
      rest->has_predicate = false;
    }
    result->steps.push_back(rest);
  }
  for (Node* step : result->steps) {
    if (step->type == NodeType::kNumber || step->type == NodeType::kValue) {
      Throw("S0213", step->position, step->value);
    }
    if (step->type == NodeType::kString) {
      step->type = NodeType::kName;
      step->value = step->literal.Str();
    }
    if (step->keep_array) result->keep_singleton_array = true;
  }
  Node* first = result->steps.front();
  if (first->type == NodeType::kUnary && first->value == "[") first->cons_array = true;
  Node* last = result->steps.back();
  if (last->type == NodeType::kUnary && last->value == "[") last->cons_array = true;
  ResolveAncestry(result);
  return result;
}

Node* Parser::ProcessPredicate(Node* expr) {
  Node* result = Process(expr->lhs);
  Node* step = result;
  bool stages = false;
  if (result->type == NodeType::kPath) {
    step = result->steps.back();
    stages = true;
  }
  if (step->group) Throw("S0209", expr->position);
  Node* predicate = Process(expr->rhs);
  if (predicate->has_seeking_parent) {
    for (SlotPtr& slot : predicate->seeking_parent) {
      if (slot->level == 1) {
        SeekParent(step, slot);
      } else {
        slot->level--;
      }
    }
    PushAncestry(step, predicate);
  }
  Stage stage;
  stage.expr = predicate;
  stage.position = expr->position;
  if (stages) {
    step->stages.push_back(stage);
    step->has_stages = true;
  } else {
    step->predicate.push_back(stage);
    step->has_predicate = true;
  }
  return result;
}

Node* Parser::ProcessFocusIndex(Node* expr) {
  Node* result = Process(expr->lhs);
  Node* step = result;
  if (expr->value == "@") {
    if (result->type == NodeType::kPath) step = result->steps.back();
    if (step->has_stages || step->has_predicate) Throw("S0215", expr->position);
    if (step->type == NodeType::kSort) Throw("S0216", expr->position);
    if (expr->keep_array) step->keep_array = true;
    step->focus = expr->rhs->value;
    step->tuple = true;
    return result;
  }
  if (result->type == NodeType::kPath) {
    step = result->steps.back();
  } else {
    result = ast_.New();
    result->type = NodeType::kPath;
    result->position = step->position;
    result->steps.push_back(step);
    if (step->has_predicate) {
      step->stages = std::move(step->predicate);
      step->has_stages = true;
      step->predicate.clear();
      step->has_predicate = false;
    }
  }
  if (!step->has_stages) {
    step->index = expr->rhs->value;
  } else {
    Stage stage;
    stage.is_filter = false;
    stage.var = expr->rhs->value;
    stage.position = expr->position;
    step->stages.push_back(stage);
  }
  step->tuple = true;
  return result;
}

Node* Parser::ProcessBinary(Node* expr) {
  const std::string& op = expr->value;
  if (op == ".") return ProcessPath(expr);
  if (op == "[") return ProcessPredicate(expr);
  if (op == "@" || op == "#") return ProcessFocusIndex(expr);
  if (op == "{") {
    Node* result = Process(expr->lhs);
    if (result->group) Throw("S0210", expr->position);
    result->group = std::make_unique<Group>();
    result->group->position = expr->position;
    for (auto& [k, v] : expr->rhs_pairs) result->group->pairs.emplace_back(Process(k), Process(v));
    return result;
  }
  if (op == "^") {
    Node* result = Process(expr->lhs);
    if (result->type != NodeType::kPath) {
      Node* path = ast_.New();
      path->type = NodeType::kPath;
      path->position = result->position;
      path->steps.push_back(result);
      result = path;
    }
    Node* sort = ast_.New();
    sort->type = NodeType::kSort;
    sort->position = expr->position;
    for (const SortTerm& term : expr->rhs_terms) {
      SortTerm processed{term.descending, Process(term.expr)};
      PushAncestry(sort, processed.expr);
      sort->terms.push_back(processed);
    }
    result->steps.push_back(sort);
    ResolveAncestry(result);
    return result;
  }
  Node* result = ast_.New();
  result->value = op;
  result->position = expr->position;
  result->lhs = Process(expr->lhs);
  result->rhs = Process(expr->rhs);
  if (op == ":=") {
    result->type = NodeType::kBind;
    PushAncestry(result, result->rhs);
  } else if (op == "~>") {
    result->type = NodeType::kApply;
    result->keep_array = result->lhs->keep_array || result->rhs->keep_array;
  } else {
    result->type = NodeType::kBinary;
    PushAncestry(result, result->lhs);
    PushAncestry(result, result->rhs);
  }
  return result;
}

Node* Parser::ProcessUnary(Node* expr) {
  Node* result = ast_.New();
  result->type = NodeType::kUnary;
  result->value = expr->value;
  result->position = expr->position;
  if (expr->value == "[") {
    for (Node* item : expr->expressions) {
      Node* value = Process(item);
      PushAncestry(result, value);
      result->expressions.push_back(value);
    }
  } else if (expr->value == "{") {
    for (auto& [k, v] : expr->pairs) {
      Node* key = Process(k);
      PushAncestry(result, key);
      Node* value = Process(v);
      PushAncestry(result, value);
      result->pairs.emplace_back(key, value);
    }
  } else {
    result->expression = Process(expr->expression);
    if (expr->value == "-" && result->expression->type == NodeType::kNumber) {
      result = result->expression;
      result->literal.number = -result->literal.number;
    } else {
      PushAncestry(result, result->expression);
    }
  }
  return result;
}

Node* Parser::TailCallOptimize(Node* expr) {
  if (expr->type == NodeType::kFunction && !expr->has_predicate) {
    Node* thunk = ast_.New();
    thunk->type = NodeType::kLambda;
    thunk->thunk = true;
    thunk->position = expr->position;
    thunk->body = expr;
    return thunk;
  }
  if (expr->type == NodeType::kCondition) {
    expr->then = TailCallOptimize(expr->then);
    if (expr->otherwise) expr->otherwise = TailCallOptimize(expr->otherwise);
  } else if (expr->type == NodeType::kBlock && !expr->expressions.empty()) {
    expr->expressions.back() = TailCallOptimize(expr->expressions.back());
  }
  return expr;
}

Node* Parser::Process(Node* expr) {
  NestingGuard guard(nesting_);
  Node* result = expr;
  switch (expr->type) {
    case NodeType::kBinary:
      result = ProcessBinary(expr);
      break;
    case NodeType::kUnary:
      result = ProcessUnary(expr);
      break;
    case NodeType::kFunction:
    case NodeType::kPartial: {
      for (Node*& arg : expr->arguments) {
        arg = Process(arg);
        PushAncestry(expr, arg);
      }
      expr->procedure = Process(expr->procedure);
      break;
    }
    case NodeType::kLambda:
      expr->body = TailCallOptimize(Process(expr->body));
      break;
    case NodeType::kCondition:
      expr->condition = Process(expr->condition);
      PushAncestry(expr, expr->condition);
      expr->then = Process(expr->then);
      PushAncestry(expr, expr->then);
      if (expr->otherwise) {
        expr->otherwise = Process(expr->otherwise);
        PushAncestry(expr, expr->otherwise);
      }
      break;
    case NodeType::kTransform:
      expr->pattern = Process(expr->pattern);
      expr->update = Process(expr->update);
      if (expr->remove) expr->remove = Process(expr->remove);
      break;
    case NodeType::kBlock:
      for (Node*& item : expr->expressions) {
        item = Process(item);
        PushAncestry(expr, item);
        if (item->cons_array || (item->type == NodeType::kPath && item->steps[0]->cons_array)) {
          expr->cons_array = true;
        }
      }
      break;
    case NodeType::kName: {
      result = ast_.New();
      result->type = NodeType::kPath;
      result->position = expr->position;
      result->steps.push_back(expr);
      if (expr->keep_array) result->keep_singleton_array = true;
      break;
    }
    case NodeType::kParent: {
      expr->slot = std::make_shared<Slot>();
      expr->slot->label = "!" + std::to_string(ancestor_label_++);
      expr->slot->index = ancestor_index_++;
      ancestry_.push_back(expr);
      break;
    }
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
    case NodeType::kWildcard:
    case NodeType::kDescendant:
    case NodeType::kVariable:
    case NodeType::kRegex:
      break;
    case NodeType::kOperator:
      if (expr->value == "and" || expr->value == "or" || expr->value == "in") {
        expr->type = NodeType::kName;
        return Process(expr);
      }
      if (expr->value == "?") break;
      Throw("S0201", expr->position, expr->value);
    case NodeType::kEnd:
      Throw("S0207", expr->position, expr->value);
    default:
      Throw("S0206", expr->position, expr->value);
  }
  if (expr->keep_array) result->keep_array = true;
  return result;
}

Node* Parser::ParseAll() {
  Advance();
  Node* root = Expression(0);
  if (node_->id != "(end)") Throw("S0201", node_->position, node_->value);
  root = Process(root);
  if (root->type == NodeType::kParent || root->has_seeking_parent) {
    Throw("S0217", root->position, "parent");
  }
  return root;
}

}  // namespace

std::shared_ptr<Signature> ParseSignature(const std::string& text, int position) {
  auto sig = std::make_shared<Signature>();
  sig->definition = text;
  auto close = [&](size_t start, char open, char closing) {
    int depth = 1;
    size_t p = start;
    while (p < text.size()) {
      ++p;
      if (text[p] == closing) {
        if (--depth == 0) break;
      } else if (text[p] == open) {
        ++depth;
      }
    }
    return p;
  };
  auto& params = sig->params;
  for (size_t p = 1; p < text.size(); ++p) {
    char c = text[p];
    if (c == ':') break;
    SignatureParam param;
    switch (c) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        param.accepts = std::string(1, c) + "m";
        param.type = c;
        params.push_back(param);
        break;
      case 'a':
        param.accepts = "asnblfom";
        param.type = 'a';
        params.push_back(param);
        break;
      case 'f':
        param.accepts = "f";
        param.type = 'f';
        params.push_back(param);
        break;
      case 'j':
        param.accepts = "asnblom";
        param.type = 'j';
        params.push_back(param);
        break;
      case 'x':
        param.accepts = "asnblfom";
        param.type = 'x';
        params.push_back(param);
        break;
      case '-':
        if (!params.empty()) params.back().context = true;
        break;
      case '?':
      case '+':
        if (!params.empty()) params.back().quantifier = c;
        break;
      case '(': {
        size_t end = close(p, '(', ')');
        std::string choice = text.substr(p + 1, end - p - 1);
        if (choice.find('<') != std::string::npos) Throw("S0402", position + static_cast<int>(p));
        param.accepts = choice + "m";
        param.type = '(';
        params.push_back(param);
        p = end;
        break;
      }
      case '<': {
        if (params.empty() || (params.back().type != 'a' && params.back().type != 'f')) {
          Throw("S0401", position + static_cast<int>(p));
        }
        size_t end = close(p, '<', '>');
        params.back().subtype = text.substr(p + 1, end - p - 1);
        p = end;
        break;
      }
      default:
        break;
    }
  }
  return sig;
}

std::shared_ptr<Ast> Parse(const std::string& text) {
  auto ast = std::make_shared<Ast>();
  Parser parser(text, *ast);
  ast->root = parser.ParseAll();
  return ast;
}

}  // namespace shoplake::jsonata
