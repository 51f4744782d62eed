#include "simulate/generator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/csv.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/progress.h"

namespace shoplake::simulate {

const char kOrdersHeader[] =
    "order_id,line_no,order_ts,status,payment_method,customer_id,customer_name,customer_email,"
    "branch_id,branch_name,branch_type,product_id,product_name,category,quantity,unit_price,"
    "unit_cost,discount\n";
const char kProductsHeader[] =
    "product_id,product_name,category,price,cost,stock_on_hand,snapshot_date\n";
const char kCustomersHeader[] = "customer_id,customer_name,email,city,country,signup_date\n";

namespace {

namespace fs = std::filesystem;

// Streams of StreamSeed (shop.cpp uses 1..4): the orders of day d draw from kOrderStream + d,
// their faults from kFaultStream + d, their realities from kRealityStream + d.
constexpr uint64_t kOrderStream = 1'000'000;
constexpr uint64_t kFaultStream = 2'000'000;
constexpr uint64_t kRealityStream = 3'000'000;
constexpr size_t kFlushBytes = 1 << 20;

// The fault mix, in Fault's order: the share of each kind among the damaged lines.
constexpr std::array<double, kFaultKinds> kFaultShares = {0.20, 0.20, 0.15, 0.15, 0.10, 0.10, 0.10};
constexpr std::array<std::string_view, kFaultKinds> kFaultNames = {
    "unparseable_number", "missing_required_field", "negative_quantity", "duplicate_line",
    "unterminated_quote", "invalid_utf8",           "wrong_column_count"};

// The order line's columns, in kOrdersHeader's order.
enum Column {
  kOrderId,
  kLineNo,
  kOrderTs,
  kStatus,
  kPaymentMethod,
  kCustomerId,
  kCustomerName,
  kCustomerEmail,
  kBranchId,
  kBranchName,
  kBranchType,
  kProductId,
  kProductName,
  kCategory,
  kQuantity,
  kUnitPrice,
  kUnitCost,
  kDiscount,
  kColumns
};
constexpr std::array<std::string_view, kColumns> kColumnNames = {
    "order_id",      "line_no",        "order_ts",  "status",      "payment_method", "customer_id",
    "customer_name", "customer_email", "branch_id", "branch_name", "branch_type",    "product_id",
    "product_name",  "category",       "quantity",  "unit_price",  "unit_cost",      "discount"};

// A small number as text without allocating.
class Number {
 public:
  explicit Number(int64_t value) { end_ = std::to_chars(buf_, buf_ + sizeof buf_, value).ptr; }
  std::string_view view() const { return {buf_, static_cast<size_t>(end_ - buf_)}; }

 private:
  char buf_[24];
  char* end_;
};

// Cents as "12.34".
class Money {
 public:
  explicit Money(int64_t cents) {
    char* p = buf_;
    if (cents < 0) {
      *p++ = '-';
      cents = -cents;
    }
    p = std::to_chars(p, buf_ + sizeof buf_, cents / 100).ptr;
    *p++ = '.';
    *p++ = static_cast<char>('0' + cents % 100 / 10);
    *p++ = static_cast<char>('0' + cents % 10);
    end_ = p;
  }
  std::string_view view() const { return {buf_, static_cast<size_t>(end_ - buf_)}; }

 private:
  char buf_[32];
  char* end_;
};

// One export file being written: a buffer flushed in 1 MiB writes, hashed as it goes.
class CsvFile {
 public:
  CsvFile(const fs::path& folder, std::string relative, std::string_view header, Progress& progress)
      : relative_(std::move(relative)),
        path_(folder / relative_),
        progress_(progress),
        sha256_(Digest::Algorithm::kSha256) {
    fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd_.valid()) throw SystemError("cannot create", path_, errno);
    buffer_.reserve(kFlushBytes + 64 * 1024);
    buffer_ += header;
  }

  std::string& buffer() { return buffer_; }
  //! Ends a data row (the caller has appended it, newline included).
  void EndRow() {
    ++rows_;
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  const std::string& relative() const { return relative_; }
  //! The physical line number the next row will have.
  uint64_t NextLine() const { return rows_ + 2; }

  ExportFile Close() {
    Flush();
    fd_ = UniqueFd();
    return {relative_, rows_, bytes_, HexEncode(sha256_.Finish())};
  }

 private:
  void Flush() {
    WriteAllTo(fd_.get(), buffer_, path_);
    sha256_.Update(buffer_);
    bytes_ += buffer_.size();
    progress_.AddBytes(buffer_.size());
    buffer_.clear();
  }

  std::string relative_;
  fs::path path_;
  Progress& progress_;
  UniqueFd fd_;
  Digest sha256_;
  std::string buffer_;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
};

void AppendRow(std::string& out, const std::array<std::string_view, kColumns>& fields,
               size_t count = kColumns) {
  for (size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    out += fields[i];
  }
  out += '\n';
}

// `name` in Latin-1 where it can be (é -> 0xE9), as a wrongly exported file has it; an
// all-ASCII name gets a Latin-1 é in place of its second letter.
std::string ToLatin1(std::string_view name) {
  std::string out;
  bool changed = false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if ((c == 0xC2 || c == 0xC3) && i + 1 < name.size()) {
      out +=
          static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3F));
      ++i;
      changed = true;
    } else {
      out += name[i];
    }
  }
  if (!changed && out.size() > 1) out[1] = static_cast<char>(0xE9);
  return out;
}

// What one day's worker produced besides its files.
struct DayResult {
  std::vector<ExportFile> files;
  std::vector<std::vector<FaultLine>> faults = std::vector<std::vector<FaultLine>>(kFaultKinds);
  std::vector<uint32_t> units_sold;  // per product, cancelled orders excluded
  uint64_t order_lines = 0;
  // Realities written (the renames and the closed month are the Shop's).
  uint64_t repeated_products = 0;
  uint64_t empty_unit_costs = 0;
  uint64_t empty_discounts = 0;
  uint64_t twin_orders = 0;
};

class DayWriter {
 public:
  DayWriter(const Shop& shop, const GeneratorOptions& options, const fs::path& folder,
            Progress& progress, const std::vector<std::array<std::string, 2>>& branch_fields,
            const std::vector<std::array<std::string, 3>>& product_fields)
      : shop_(shop),
        options_(options),
        folder_(folder),
        progress_(progress),
        branch_fields_(branch_fields),
        product_fields_(product_fields) {}

  DayResult Write(int day) {
    DayResult result;
    result.units_sold.assign(shop_.products().size(), 0);
    WriteOrders(day, result);
    WriteCustomers(day, result);
    return result;
  }

 private:
  void WriteOrders(int day, DayResult& result) {
    const std::string& date = shop_.Date(day);
    CsvFile file(folder_, "orders/" + date + ".csv", kOrdersHeader, progress_);
    Random random(StreamSeed(shop_.options().seed, kOrderStream + static_cast<uint64_t>(day)));
    Random faults(StreamSeed(shop_.options().seed, kFaultStream + static_cast<uint64_t>(day)));
    Random realities(StreamSeed(shop_.options().seed, kRealityStream + static_cast<uint64_t>(day)));
    Draws draws{random, faults, realities,
                WeightedChoice(std::vector<double>(kFaultShares.begin(), kFaultShares.end()))};
    std::vector<uint64_t> per_minute = Apportion(shop_.OrdersOn(day), shop_.MinuteWeights());
    int64_t order_id = shop_.FirstOrderId(day);
    const int64_t last_order_id = order_id + static_cast<int64_t>(shop_.OrdersOn(day)) - 1;
    std::array<uint32_t, 60> per_second{};
    std::string timestamp = date + " 00:00:00";
    Order order;
    bool twin_next = false;  // the order just written was a twin's: its copy comes next

    for (int minute = 0; minute < 1440; ++minute) {
      if (per_minute[minute] == 0) continue;
      per_second.fill(0);
      for (uint64_t i = 0; i < per_minute[minute]; ++i) ++per_second[random.Below(60)];
      for (int second = 0; second < 60; ++second) {
        for (uint32_t n = 0; n < per_second[second]; ++n) {
          int clock[3] = {minute / 60, minute % 60, second};
          for (int k = 0; k < 3; ++k) {  // "HH:MM:SS" after "YYYY-MM-DD "
            timestamp[11 + 3 * k] = static_cast<char>('0' + clock[k] / 10);
            timestamp[12 + 3 * k] = static_cast<char>('0' + clock[k] % 10);
          }
          if (twin_next) {
            // The twin orders the same lines in the next order slot: their spend ties.
            order.customer = shop_.CustomerAt(shop_.twins().twin);
            DrawBranchAndPayment(minute / 60, draws.realities, order);
            twin_next = false;
            ++result.twin_orders;
          } else {
            DrawOrder(day, minute / 60, order_id == last_order_id, draws, order);
            twin_next = order.customer.id == shop_.twins().customer;
          }
          WriteOrder(file, day, order_id++, timestamp, order, draws, result);
        }
      }
    }
    CloseOpenQuote(file.NextLine() - 1, result);  // the file's end closes it
    result.order_lines = file.NextLine() - 2;
    result.files.push_back(file.Close());
  }

  // The random streams of one day: the orders, their faults, their realities.
  struct Draws {
    Random& orders;
    Random& faults;
    Random& realities;
    WeightedChoice fault_mix;
  };

  struct OrderLine {
    size_t product = 0;
    int64_t quantity = 0;
  };

  // An order before it is written: who, where, how, and its lines.
  struct Order {
    const Branch* branch = nullptr;
    Customer customer;
    std::string_view status, payment;
    int64_t promo_percent = 0;
    std::vector<OrderLine> lines;
    int repeats = 0;  //!< lines repeating a product of an earlier line
  };

  void DrawOrder(int day, int hour, bool last_of_day, Draws& draws, Order& order) {
    Random& random = draws.orders;
    order.branch = &shop_.PickBranch(hour < 9 || hour >= 20, random);
    int64_t customer = shop_.PickCustomer(day, random);
    // The twin orders only as a copy, and a twin's order needs a slot after it for its copy.
    const TwinCustomers& twins = shop_.twins();
    while (twins.twin && (customer == twins.twin || (customer == twins.customer && last_of_day))) {
      customer = shop_.PickCustomer(day, random);
    }
    order.customer = shop_.CustomerAt(customer);
    // Lines per order: mostly one or two, a long tail up to eight (mean about 2.1).
    static constexpr double kLineCounts[] = {0.45, 0.25, 0.14, 0.08, 0.04, 0.02, 0.01, 0.01};
    int lines = 1;
    for (double u = random.Unit(), sum = 0; lines < 8; ++lines) {
      sum += kLineCounts[lines - 1];
      if (u < sum) break;
    }
    uint64_t status_draw = random.Below(1000);
    order.status = status_draw < 920 ? "completed" : status_draw < 965 ? "cancelled" : "returned";
    DrawPayment(random, order);
    // Promotions: 12% of web and store orders carry 5 to 25% off; the marketplace sets its own
    // prices.
    order.promo_percent = 0;
    if (random.Chance(0.12) && order.branch->type != "marketplace")
      order.promo_percent = 5 * random.Between(1, 5);

    order.lines.clear();
    auto listed = [&order](size_t product) {
      return std::any_of(order.lines.begin(), order.lines.end(),
                         [product](const OrderLine& l) { return l.product == product; });
    };
    for (int line = 1; line <= lines; ++line) {
      size_t product = shop_.PickProduct(random);
      // An order lists a product once; a repeat draw is redrawn a few times, then dropped.
      for (int tries = 0; tries < 4 && listed(product); ++tries)
        product = shop_.PickProduct(random);
      if (listed(product)) continue;
      order.lines.push_back({product, DrawQuantity(random)});
    }
    // A reality: the same product on a second line of the order (scanned twice at the till).
    const int distinct = static_cast<int>(order.lines.size());
    double rate = shop_.options().realities;
    if (rate > 0 && draws.realities.Chance(rate)) {
      size_t again = order.lines[draws.realities.Below(order.lines.size())].product;
      order.lines.push_back({again, DrawQuantity(draws.realities)});
    }
    order.repeats = static_cast<int>(order.lines.size()) - distinct;
  }

  // Where a copied order is placed and how it is paid: the twin's own choice (a store is
  // closed at night even when the order it copies was placed before closing time).
  void DrawBranchAndPayment(int hour, Random& random, Order& order) const {
    order.branch = &shop_.PickBranch(hour < 9 || hour >= 20, random);
    DrawPayment(random, order);
  }

  static void DrawPayment(Random& random, Order& order) {
    uint64_t pay = random.Below(100);
    if (order.branch->type == "store") {
      order.payment = pay < 70 ? "card" : "cash";
    } else {
      order.payment = pay < 55   ? "card"
                      : pay < 85 ? "paypal"
                      : pay < 95 ? "bank_transfer"
                                 : "gift_card";
    }
  }

  static int64_t DrawQuantity(Random& random) {
    uint64_t q = random.Below(100);
    return q < 62 ? 1 : q < 84 ? 2 : q < 92 ? 3 : q < 96 ? 4 : random.Between(5, 10);
  }

  void WriteOrder(CsvFile& file, int day, int64_t order_id, const std::string& timestamp,
                  const Order& order, Draws& draws, DayResult& result) {
    Number id_text(order_id), customer_id_text(order.customer.id);
    std::string customer_name = CsvField(order.customer.NameOn(day));
    std::string email = CsvField(order.customer.email);
    const Branch& branch = *order.branch;
    const std::string& bf = branch_fields_[static_cast<size_t>(branch.id - 1)]
                                          [branch.renamed_day >= 0 && day >= branch.renamed_day];
    const double rate = shop_.options().realities;
    result.repeated_products += static_cast<uint64_t>(order.repeats);
    for (size_t line = 0; line < order.lines.size(); ++line) {
      const auto [product, quantity] = order.lines[line];
      const Product& p = shop_.products()[product];
      int64_t discount = (quantity * p.price_cents * order.promo_percent + 50) / 100;
      if (order.status != "cancelled")
        result.units_sold[product] += static_cast<uint32_t>(quantity);

      Number line_text(static_cast<int64_t>(line + 1)), quantity_text(quantity);
      Money price(p.price_cents), cost(p.cost_cents), discount_text(discount);
      const auto& pf = product_fields_[product];
      std::array<std::string_view, kColumns> fields = {id_text.view(),
                                                       line_text.view(),
                                                       timestamp,
                                                       order.status,
                                                       order.payment,
                                                       customer_id_text.view(),
                                                       customer_name,
                                                       email,
                                                       bf,
                                                       {},
                                                       {},
                                                       pf[0],
                                                       p.NameCsvOn(day),
                                                       pf[2],
                                                       quantity_text.view(),
                                                       price.view(),
                                                       cost.view(),
                                                       discount_text.view()};
      // branch_fields_ holds "id,name,type" as one piece; split it back for the slow path.
      SplitBranch(bf, fields);
      // Realities: a unit cost the back office does not know; a discount left empty (none).
      if (rate > 0 && draws.realities.Chance(rate)) {
        fields[kUnitCost] = {};
        ++result.empty_unit_costs;
      }
      if (rate > 0 && draws.realities.Chance(rate) && discount == 0) {
        fields[kDiscount] = {};
        ++result.empty_discounts;
      }

      // The fault draw happens for every line, dirty or not, so the fault stream stays aligned.
      double fault_draw = draws.faults.Unit();
      if (fault_draw >= options_.dirty_rate) {
        size_t row_start = file.buffer().size();
        AppendRow(file.buffer(), fields);
        EndOrderRow(file, row_start, result);
        continue;
      }
      InjectFault(file, static_cast<Fault>(draws.fault_mix.Pick(draws.faults)), fields, quantity, p,
                  draws.faults, result);
    }
  }

  static void SplitBranch(std::string_view joined, std::array<std::string_view, kColumns>& fields) {
    size_t a = joined.find(',');
    size_t b = joined.rfind(',');
    fields[kBranchId] = joined.substr(0, a);
    fields[kBranchName] = joined.substr(a + 1, b - a - 1);
    fields[kBranchType] = joined.substr(b + 1);
  }

  void InjectFault(CsvFile& file, Fault fault, std::array<std::string_view, kColumns> fields,
                   int64_t quantity, const Product& product, Random& faults, DayResult& result) {
    std::string replacement;  // owns the damaged field's text
    std::string field;
    size_t count = kColumns;
    std::string& out = file.buffer();
    switch (fault) {
      case Fault::kUnparseableNumber: {
        static constexpr Column kNumbers[] = {kQuantity, kUnitPrice, kUnitCost, kDiscount};
        Column column = kNumbers[faults.Below(4)];
        uint64_t how = faults.Below(3);
        if (column == kQuantity) {
          replacement = how == 0 ? "two" : how == 1 ? "N/A" : std::string(fields[column]) + "O";
        } else if (how == 0) {  // a decimal comma, quoted as a CSV writer would
          std::string text(fields[column]);
          std::replace(text.begin(), text.end(), '.', ',');
          replacement = "\"" + text + "\"";
        } else {
          replacement = how == 1 ? "N/A" : std::string(fields[column]) + ".5";
        }
        fields[column] = replacement;
        field = kColumnNames[column];
        break;
      }
      case Fault::kMissingRequiredField: {
        static constexpr Column kRequired[] = {kOrderId,   kOrderTs,  kCustomerId,
                                               kProductId, kQuantity, kUnitPrice};
        Column column = kRequired[faults.Below(std::size(kRequired))];
        fields[column] = {};
        field = kColumnNames[column];
        break;
      }
      case Fault::kNegativeQuantity:
        replacement = "-" + std::to_string(quantity);
        fields[kQuantity] = replacement;
        field = "quantity";
        break;
      case Fault::kDuplicateLine: {
        size_t row_start = out.size();
        AppendRow(out, fields);
        EndOrderRow(file, row_start, result);
        break;
      }
      case Fault::kUnterminatedQuote:
        replacement = "\"" + product.name;
        replacement.erase(std::remove(replacement.begin() + 1, replacement.end(), '"'),
                          replacement.end());
        fields[kProductName] = replacement;
        field = "product_name";
        break;
      case Fault::kInvalidUtf8:
        replacement = ToLatin1(fields[kCustomerName]);
        fields[kCustomerName] = replacement;
        field = "customer_name";
        break;
      case Fault::kWrongColumnCount:
        if (faults.Chance(0.5)) {
          count = kColumns - 1;
          field = "discount";
        } else {
          count = kColumns + 1;
          field = "extra";
        }
        break;
    }
    auto& lines = result.faults[static_cast<size_t>(fault)];
    lines.push_back({file.relative(), file.NextLine(), field, 0});
    size_t row_start = out.size();
    if (count > kColumns) {
      AppendRow(out, fields);
      out.insert(out.size() - 1, ",gift wrap");
    } else {
      AppendRow(out, fields, count);
    }
    if (fault == Fault::kUnterminatedQuote) {
      if (open_quote_) {
        // This quote closes the one still open: both end on this line.
        CloseOpenQuote(file.NextLine(), result);
        lines.back().through_line = file.NextLine();
      } else {
        open_quote_ = lines.size() - 1;  // EndOrderRow finds where its record ends
      }
      file.EndRow();
      return;
    }
    EndOrderRow(file, row_start, result);
  }

  // Ends an order row that starts at `row_start` in the buffer. While an unterminated
  // quote is open, the first later row holding a quote character is where a CSV reader
  // closes it and resumes at the next line (DuckDB does so): that is the fault's
  // through_line.
  void EndOrderRow(CsvFile& file, size_t row_start, DayResult& result) {
    if (open_quote_ && file.buffer().find('"', row_start) != std::string::npos) {
      CloseOpenQuote(file.NextLine(), result);
    }
    file.EndRow();
  }

  void CloseOpenQuote(uint64_t line, DayResult& result) {
    if (!open_quote_) return;
    result.faults[static_cast<size_t>(Fault::kUnterminatedQuote)][*open_quote_].through_line = line;
    open_quote_.reset();
  }

  void WriteCustomers(int day, DayResult& result) {
    const std::string& date = shop_.Date(day);
    CsvFile file(folder_, "customers/" + date + ".csv", kCustomersHeader, progress_);
    int64_t first = day == 0 ? 1 : shop_.CustomersThrough(day - 1) + 1;
    for (int64_t id = first; id <= shop_.CustomersThrough(day); ++id) {
      Customer c = shop_.CustomerAt(id);
      std::string& out = file.buffer();
      out += Number(id).view();
      out += ',';
      out += CsvField(c.name);
      out += ',';
      out += CsvField(c.email);
      out += ',';
      out += CsvField(c.city);
      out += ',';
      out += c.country;
      out += ',';
      out += shop_.DateOf(shop_.SignupDay(id));
      out += '\n';
      file.EndRow();
    }
    result.files.push_back(file.Close());
  }

  // The unterminated quote whose record is still open (an index into its fault lines).
  std::optional<size_t> open_quote_;
  const Shop& shop_;
  const GeneratorOptions& options_;
  fs::path folder_;
  Progress& progress_;
  // Per branch: "id,name,type" under its first name and, if renamed, its new one.
  const std::vector<std::array<std::string, 2>>& branch_fields_;
  const std::vector<std::array<std::string, 3>>& product_fields_;
};

// Stock on hand each morning: the opening stock, minus what sold, plus restocks that
// arrive `lead_days` after the stock fell to the reorder point. Discontinued products are
// not restocked. Never below zero: demand beyond the shelf is backordered.
std::vector<std::vector<int64_t>> StockByDay(const Shop& shop,
                                             const std::vector<std::vector<uint32_t>>& sold) {
  const auto& products = shop.products();
  int days = shop.options().days;
  std::vector<std::vector<int64_t>> stock(days, std::vector<int64_t>(products.size()));
  for (size_t p = 0; p < products.size(); ++p) {
    const Product& product = products[p];
    int64_t on_hand = product.initial_stock;
    int arrival = -1;
    for (int d = 0; d < days; ++d) {
      if (d == arrival) {
        on_hand += product.reorder_quantity;
        arrival = -1;
      }
      stock[d][p] = on_hand;
      on_hand = std::max<int64_t>(0, on_hand - sold[d][p]);
      bool restocked = product.discontinued_day < 0 || d < product.discontinued_day;
      if (arrival < 0 && restocked && on_hand <= product.reorder_point) {
        arrival = d + product.lead_days;
      }
    }
  }
  return stock;
}

ExportFile WriteProducts(const Shop& shop, int day, const std::vector<int64_t>& stock,
                         const std::vector<std::array<std::string, 3>>& product_fields,
                         const fs::path& folder, Progress& progress) {
  const std::string& date = shop.Date(day);
  CsvFile file(folder, "products/" + date + ".csv", kProductsHeader, progress);
  const auto& products = shop.products();
  for (size_t p = 0; p < products.size(); ++p) {
    std::array<std::string_view, 7> fields = {
        product_fields[p][0], products[p].NameCsvOn(day), product_fields[p][2], {}, {}, {}, date};
    Money price(products[p].price_cents), cost(products[p].cost_cents);
    Number on_hand(stock[p]);
    fields[3] = price.view();
    fields[4] = cost.view();
    fields[5] = on_hand.view();
    std::string& out = file.buffer();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += fields[i];
    }
    out += '\n';
    file.EndRow();
  }
  return file.Close();
}

// Runs task(i) for i in [0, count) on `threads` threads; the first exception stops the
// others from starting new items and is rethrown.
void ParallelFor(int count, int threads, const std::function<void(int)>& task) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (int i; !failed && (i = next++) < count;) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(threads, count); ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
}

// A staging folder of a run that died (its pid is gone) is removed; a live one is left alone.
void RemoveDeadStaging(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atoll(name.c_str() + prefix.size()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      spdlog::info("removing {} left by an interrupted run", entry.path().string());
      fs::remove_all(entry.path(), ec);
    }
  }
}

bool HasEntries(const fs::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) &&
         fs::directory_iterator(folder, ec) != fs::directory_iterator();
}

// The realities the Shop holds (the counts come from the days).
void ListRenamesAndTwins(const Shop& shop, Realities& realities) {
  for (const Product& p : shop.products()) {
    if (p.renamed_day >= 0) {
      realities.renamed_products.push_back({p.id, p.name, p.new_name, shop.Date(p.renamed_day)});
    }
  }
  for (const Branch& b : shop.branches()) {
    if (b.renamed_day >= 0) {
      realities.renamed_branches.push_back({b.id, b.name, b.new_name, shop.Date(b.renamed_day)});
    }
  }
  if (shop.options().realities > 0) {
    for (int64_t id = 1; id <= shop.CustomersThrough(shop.options().days - 1); ++id) {
      Customer c = shop.CustomerAt(id);
      if (c.renamed_day >= 0) {
        realities.renamed_customers.push_back({id, c.name, c.new_name, shop.Date(c.renamed_day)});
      }
    }
  }
  realities.closed_month = shop.closed_month();
  realities.twin_customer = shop.twins().customer;
  realities.twin = shop.twins().twin;
}

}  // namespace

std::string_view FaultName(Fault fault) { return kFaultNames[static_cast<size_t>(fault)]; }
double FaultShare(Fault fault) { return kFaultShares[static_cast<size_t>(fault)]; }

Export Generate(const GeneratorOptions& options) {
  if (!(options.dirty_rate >= 0 && options.dirty_rate <= 1)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("--dirty-rate {} is out of range", options.dirty_rate), "--dirty-rate",
                "give the share of damaged order lines, from 0 to 1 (e.g. 0.01)");
  }
  if (!(options.shop.realities >= 0 && options.shop.realities <= 1)) {
    throw Error(ErrorCode::kUsage,
                fmt::format("--realities {} is out of range", options.shop.realities),
                "--realities", "give the rate of the realities, from 0 (none) to 1 (e.g. 0.01)");
  }
  if (options.out.empty()) {
    throw Error(ErrorCode::kUsage, "no output folder", "--out", "pass --out DIR");
  }
  auto started = std::chrono::steady_clock::now();
  Shop shop = Shop::Build(options.shop);

  fs::path out = fs::absolute(options.out).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  fs::path parent = out.parent_path();
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
    throw Error(ErrorCode::kConflict, "the output path is a file, not a folder", out.string(),
                "choose another --out");
  }
  if (HasEntries(out) && !options.force) {
    throw Error(ErrorCode::kConflict, "the output folder is not empty", out.string(),
                "pass --force to replace what is there, or choose another --out");
  }
  fs::create_directories(parent, ec);
  if (ec) throw SystemError("cannot create", parent, ec.value());
  std::string staging_prefix = "." + out.filename().string() + ".partial-";
  RemoveDeadStaging(parent, staging_prefix);
  fs::path staging = parent / (staging_prefix + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  for (const char* folder : {"orders", "products", "customers"}) {
    fs::create_directories(staging / folder, ec);
    if (ec) throw SystemError("cannot create", staging / folder, ec.value());
  }
  // Whatever happens below, a failed run leaves no staging folder behind.
  struct RemoveOnFailure {
    fs::path path;
    bool keep = false;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (!keep) fs::remove_all(path, ignored);
    }
  } cleanup{staging};

  // CSV pieces that every row of a product or branch repeats, encoded once.
  std::vector<std::array<std::string, 3>> product_fields;
  for (const Product& p : shop.products()) {
    product_fields.push_back({std::to_string(p.id), p.name_csv, CsvField(p.category)});
  }
  std::vector<std::array<std::string, 2>> branch_fields;
  for (const Branch& b : shop.branches()) {
    branch_fields.push_back({fmt::format("{},{},{}", b.id, CsvField(b.name), b.type),
                             fmt::format("{},{},{}", b.id, CsvField(b.new_name), b.type)});
  }

  int days = options.shop.days;
  int threads = options.threads > 0
                    ? options.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  Progress progress("simulate", "days");
  progress.SetTotals(static_cast<uint64_t>(days), 0);
  progress.Start(options.progress);

  std::vector<DayResult> results(days);
  ParallelFor(days, threads, [&](int day) {
    DayWriter writer(shop, options, staging, progress, branch_fields, product_fields);
    results[day] = writer.Write(day);
    progress.AddItems(1);
  });

  std::vector<std::vector<uint32_t>> sold(days);
  for (int d = 0; d < days; ++d) sold[d] = std::move(results[d].units_sold);
  auto stock = StockByDay(shop, sold);
  sold.clear();
  std::vector<ExportFile> product_files(days);
  ParallelFor(days, threads, [&](int day) {
    product_files[day] = WriteProducts(shop, day, stock[day], product_fields, staging, progress);
  });
  progress.Finish();

  Export result;
  result.orders = options.shop.orders;
  for (int d = 0; d < days; ++d) {
    for (auto& f : results[d].files) result.files.push_back(std::move(f));
    result.files.push_back(std::move(product_files[d]));
    for (int k = 0; k < kFaultKinds; ++k) {
      auto& lines = results[d].faults[k];
      result.faults[k].insert(result.faults[k].end(), lines.begin(), lines.end());
    }
    result.order_lines += results[d].order_lines;
    result.realities.repeated_products += results[d].repeated_products;
    result.realities.empty_unit_costs += results[d].empty_unit_costs;
    result.realities.empty_discounts += results[d].empty_discounts;
    result.realities.twin_orders += results[d].twin_orders;
  }
  ListRenamesAndTwins(shop, result.realities);
  std::sort(result.files.begin(), result.files.end(),
            [](const ExportFile& a, const ExportFile& b) { return a.path < b.path; });
  for (const auto& f : result.files) result.bytes += f.bytes;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // Durable before visible: flush the staging folder's file system, write the manifest,
  // then swap the folder into place (the old export, if any, moves aside and is removed).
  {
    UniqueFd fd(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::syncfs(fd.get()) != 0) throw SystemError("cannot sync", staging, errno);
  }
  WriteFileAtomically(staging / "_manifest.json", ManifestJson(options, result));
  fs::path old = parent / ("." + out.filename().string() + ".old-" + std::to_string(::getpid()));
  bool had_old = fs::exists(out, ec);
  if (had_old) {
    fs::rename(out, old, ec);
    if (ec) throw SystemError("cannot move the previous export aside", out, ec.value());
  }
  fs::rename(staging, out, ec);
  if (ec) {
    if (had_old) fs::rename(old, out, ec);
    throw SystemError("cannot move the export into place", out, ec.value());
  }
  cleanup.keep = true;
  SyncFolder(parent);
  if (had_old) fs::remove_all(old, ec);
  return result;
}

namespace {
nlohmann::ordered_json RenamesJson(const std::vector<Rename>& renames) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& r : renames) {
    list.push_back({{"id", r.id}, {"from", r.from}, {"to", r.to}, {"on", r.on}});
  }
  return list;
}

nlohmann::ordered_json RealitiesJson(const Realities& r) {
  nlohmann::ordered_json twins = nullptr;
  if (r.twin_customer) {
    twins = {{"customer_id", r.twin_customer}, {"twin_id", r.twin}, {"orders", r.twin_orders}};
  }
  return {{"repeated_products", r.repeated_products},
          {"empty_unit_costs", r.empty_unit_costs},
          {"empty_discounts", r.empty_discounts},
          {"closed_month", r.closed_month.empty() ? nlohmann::ordered_json()
                                                  : nlohmann::ordered_json(r.closed_month)},
          {"twin_customers", std::move(twins)},
          {"renamed_products", RenamesJson(r.renamed_products)},
          {"renamed_branches", RenamesJson(r.renamed_branches)},
          {"renamed_customers", RenamesJson(r.renamed_customers)}};
}
}  // namespace

std::string ManifestJson(const GeneratorOptions& options, const Export& result) {
  nlohmann::ordered_json manifest;
  manifest["generator"] = "shoplake simulate";
  manifest["seed"] = options.shop.seed;
  manifest["options"] = {{"start", options.shop.start},
                         {"days", options.shop.days},
                         {"orders", options.shop.orders},
                         {"dirty_rate", options.dirty_rate},
                         {"realities", options.shop.realities}};
  manifest["totals"] = {{"files", result.files.size()},
                        {"bytes", result.bytes},
                        {"orders", result.orders},
                        {"order_lines", result.order_lines}};
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : result.files) {
    files.push_back({{"path", f.path}, {"rows", f.rows}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  }
  manifest["files"] = std::move(files);
  nlohmann::ordered_json faults = nlohmann::ordered_json::object();
  for (int k = 0; k < kFaultKinds; ++k) {
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    for (const auto& line : result.faults[k]) {
      nlohmann::ordered_json entry = {{"file", line.file}, {"line", line.line}};
      if (!line.field.empty()) entry["field"] = line.field;
      if (line.through_line) entry["through_line"] = line.through_line;
      lines.push_back(std::move(entry));
    }
    faults[std::string(kFaultNames[k])] = {{"share", kFaultShares[k]},
                                           {"count", result.faults[k].size()},
                                           {"lines", std::move(lines)}};
  }
  manifest["faults"] = std::move(faults);
  manifest["realities"] = RealitiesJson(result.realities);
  return manifest.dump(1) + "\n";
}

}  // namespace shoplake::simulate
