// Dates: $toMillis and $fromMillis with ISO 8601 and XPath picture strings and timezones.
#include "jsonata/functions.h"

namespace shoplake::jsonata {

Value ToMillis(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }
Value FromMillis(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }
Value Now(Evaluator&, std::vector<Value>&, const Value&) { Throw("D3999"); }

}  // namespace shoplake::jsonata
