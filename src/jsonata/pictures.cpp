// XPath F&O picture strings for numbers: $formatNumber, $formatInteger, $parseInteger.
#include "jsonata/functions.h"

namespace shoplake::jsonata {

Value FormatNumber(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }
Value FormatInteger(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }
Value ParseInteger(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }

}  // namespace shoplake::jsonata
