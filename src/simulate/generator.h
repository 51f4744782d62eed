// The generator: writes the simulated shop's daily exports, as a shop's back office would
// drop them into a bucket, and a manifest that says exactly what it wrote.
//
//   DIR/orders/YYYY-MM-DD.csv     one row per order line, customer/branch/product denormalised
//   DIR/products/YYYY-MM-DD.csv   every product with its stock on hand that morning
//   DIR/customers/YYYY-MM-DD.csv  customers who signed up that day (day one: all before too)
//   DIR/_manifest.json            options, every file (rows, bytes, sha256), every fault line
//
// Deterministic: one seed and one set of options give byte-identical files on any machine
// and with any thread count (each day draws from its own random stream). Injected faults
// draw from a separate stream, so a dirty export is the clean one with some lines damaged.
// Memory stays bounded whatever the scale: days stream to disk in 1 MiB writes.
// Atomic: the export is written into a hidden staging folder beside DIR and renamed into
// place at the end; an interrupted run leaves DIR as it was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "simulate/shop.h"

namespace shoplake::simulate {

//! The kinds of damage `--dirty-rate` injects into order lines, in manifest order.
enum class Fault {
  kUnparseableNumber,     //!< quantity, unit_price, unit_cost or discount not a number
  kMissingRequiredField,  //!< order_id, order_ts, customer_id, product_id, quantity or unit_price
                          //!< empty
  kNegativeQuantity,      //!< quantity below zero
  kDuplicateLine,         //!< the line written twice; the second copy is the fault
  kUnterminatedQuote,     //!< product_name opens a quote that the line never closes
  kInvalidUtf8,           //!< customer_name in Latin-1 instead of UTF-8
  kWrongColumnCount,      //!< a field missing or one too many
};
inline constexpr int kFaultKinds = 7;
std::string_view FaultName(Fault fault);
//! The share of each kind among injected faults (sums to 1).
double FaultShare(Fault fault);

struct GeneratorOptions {
  ShopOptions shop;
  std::filesystem::path out;
  double dirty_rate = 0;  //!< chance that an order line is damaged, 0..1
  int threads = 0;        //!< 0: one per core; the output does not depend on it
  bool force = false;     //!< replace an existing export in `out`
  bool progress = true;   //!< live progress on stderr
};

struct ExportFile {
  std::string path;   //!< relative to the export folder, '/'-separated
  uint64_t rows = 0;  //!< data rows, the header not counted
  uint64_t bytes = 0;
  std::string sha256;  //!< hex
};

//! Where a fault was injected: the file, its 1-based physical line (the header is line 1)
//! and the field it damaged (empty for whole-line faults).
struct FaultLine {
  std::string file;
  uint64_t line = 0;
  std::string field;
  //! unterminated_quote only: the last line of the record a CSV reader makes of it. The
  //! open quote runs on to the next line holding a quote character; a reader such as
  //! DuckDB reports one bad record from `line` to here and resumes on the line after.
  uint64_t through_line = 0;
};

//! A name that changed: from `on` (YYYY-MM-DD) the exports say `to` instead of `from`.
struct Rename {
  int64_t id = 0;
  std::string from, to, on;
};

//! What the realities (ShopOptions::realities) put into the export.
struct Realities {
  uint64_t repeated_products = 0;  //!< order lines repeating a product of their order
  uint64_t empty_unit_costs = 0;   //!< order lines with no unit_cost
  uint64_t empty_discounts = 0;    //!< order lines whose discount (none) is empty, not 0.00
  std::vector<Rename> renamed_products, renamed_branches, renamed_customers;
  std::string closed_month;  //!< YYYY-MM without orders, or empty
  int64_t twin_customer = 0, twin = 0;
  uint64_t twin_orders = 0;  //!< orders the twin copied
};

struct Export {
  std::vector<ExportFile> files;  //!< sorted by path
  std::vector<std::vector<FaultLine>> faults = std::vector<std::vector<FaultLine>>(kFaultKinds);
  uint64_t orders = 0;
  uint64_t order_lines = 0;  //!< data rows in orders/, duplicates included
  uint64_t bytes = 0;
  Realities realities;
  double seconds = 0;
};

//! Writes the export. Throws Error: kConflict when `out` holds files and force is off,
//! kUsage for bad options, kIo naming the path when the disk refuses.
Export Generate(const GeneratorOptions& options);

//! _manifest.json's content.
std::string ManifestJson(const GeneratorOptions& options, const Export& result);

//! The CSV headers, as the shop's back office writes them.
extern const char kOrdersHeader[];
extern const char kProductsHeader[];
extern const char kCustomersHeader[];

}  // namespace shoplake::simulate
