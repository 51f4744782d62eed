// Proposing the sales model (the `sales:` section of shoplake.yaml) from drafted datasets:
// what `shoplake init` writes for a person to check. Roles come from the columns' names
// (order_id, invoice_no, order_date, customer_id, stock_code, region, ...) and types; three
// come from the values of the draft's sample: a discount whose values are all between 0 and 1
// is a rate (not mapped), an order id that is sometimes a letter + another id's shape marks
// cancellations (UCI retail's C536379), and a product id whose few odd-shaped values (POST, D)
// are not products gives `product_line`. Each role says why it was chosen.
//
// Thread safety: pure functions over their arguments (the connection is the caller's).
#pragma once

#include <string>
#include <vector>

namespace shoplake::db {
class Connection;
}

namespace shoplake::transform {

struct DraftMapping;

//! One role of the sales model: `revenue: quantity * unit_price`, and why.
struct SalesRole {
  std::string role;  //!< as the `sales:` section spells it: order, time, revenue, ...
  std::string expr;  //!< SQL over the table's column names, or a dataset (table)
  std::string why;   //!< one short line for the person reviewing it
};

//! What one dataset offers the sales model: the roles its columns fill.
struct SalesCandidate {
  std::vector<SalesRole> roles;      //!< in the order of the `sales:` format
  std::vector<SalesRole> stock;      //!< as a stock table: table, product, time, on_hand...
  std::vector<std::string> checks;   //!< what to check, one line each
  std::vector<std::string> missing;  //!< the required roles it lacks, in the user's words
};

//! The proposed `sales:` section, or why there is none.
struct SalesModel {
  std::vector<SalesRole> roles;     //!< empty: none proposed (why_none says why)
  std::vector<SalesRole> stock;     //!< the `stock:` subsection, empty when no table fits
  std::vector<std::string> checks;  //!< what the person should check, one line each
  std::string why_none;
  std::string table() const;  //!< the sales dataset, empty when none
};

//! The roles `draft`'s columns fill, reading the draft's sample (table `sample`, every column
//! text under its header) through `conn` for the value-based roles. Called by DraftMappingFor.
SalesCandidate ProposeSalesRoles(db::Connection& conn, const DraftMapping& draft);

//! The sales model of a project of these drafts: the dataset with an order, a time and
//! revenue (the most roles if several), and a stock table when one has a product, a date and
//! an on-hand quantity.
SalesModel ProposeSalesModel(const std::vector<DraftMapping>& drafts);

//! The `sales:` section as YAML (EmitYaml's quoting), each role with its reason as a comment.
std::string SalesYaml(const SalesModel& model);

//! "sample_superstore: order order_id, time order_date, revenue sales, ..." for init's output.
std::string SalesSummary(const SalesModel& model);

}  // namespace shoplake::transform
