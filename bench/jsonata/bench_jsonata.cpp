// The C++ side of bench/jsonata: every selected conformance case parsed once and evaluated
// `iterations` times, timing evaluation only. Reads the case list bench.js writes (one JSON
// object per line: expr, input, bindings) and prints the total nanoseconds per case, one per
// line, in the same order.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "jsonata/json_bridge.h"
#include "jsonata/jsonata.h"

using namespace shoplake::jsonata;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_jsonata CASES.jsonl ITERATIONS\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  int iterations = std::stoi(argv[2]);
  std::string line;
  while (std::getline(in, line)) {
    auto c = nlohmann::ordered_json::parse(line);
    Expression expression(c["expr"].get<std::string>());
    Value input = c.contains("input") ? FromJson(c["input"]) : Value();
    std::vector<std::pair<std::string, Value>> bindings;
    for (const auto& [k, v] : c["bindings"].items()) bindings.emplace_back(k, FromJson(v));
    size_t sink = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      Value v = expression.Evaluate(input, bindings);
      sink += static_cast<size_t>(v.type);
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    std::cout << ns << (sink == 12345678 ? " " : "") << "\n";
  }
  return 0;
}
