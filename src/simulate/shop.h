// The simulated shop's model: its branches, products and customers, and the calendar of
// how busy each day is. Built once from the options and the seed, read by every day's
// generator thread at once (nothing here changes after Build).
//
// Skew, as in a real shop: product popularity follows Zipf (a few products sell most),
// customer spend follows Pareto (a fifth of the customers bring most of the revenue), days
// follow a weekly and a seasonal cycle (Black Friday, December), hours a daily one.
//
// Realities (ShopOptions::realities): what real exports hold and the views have rules for:
// renamed products, customers and a branch, a month without sales, twin customers whose
// spend ties. They draw from their own streams, so a shop without them is the same shop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulate/random.h"

namespace shoplake::simulate {

struct ShopOptions {
  uint64_t seed = 42;
  int days = 90;
  std::string start = "2026-01-01";  //!< YYYY-MM-DD, the first day exported
  uint64_t orders = 95000;           //!< orders in the whole period
  //! The rate of the realities (docs/simulate.md, "Realities"), 0..1; 0: none of them.
  double realities = 0.01;
};

struct Branch {
  int id = 0;
  std::string name;
  std::string type;      //!< store, web or marketplace
  bool online = false;   //!< web and marketplace take orders around the clock
  int renamed_day = -1;  //!< from this day on it is called new_name; -1: never
  std::string new_name;
};

struct Product {
  int64_t id = 0;
  std::string name;      //!< may contain commas and quotes, as real product names do
  std::string name_csv;  //!< the name as a CSV field (quoted when it must be)
  std::string category;
  int64_t price_cents = 0;
  int64_t cost_cents = 0;
  int64_t initial_stock = 0;
  int64_t reorder_point = 0;  //!< stock at or below which a restock is ordered
  int64_t reorder_quantity = 0;
  int lead_days = 0;          //!< days from the restock order to its arrival
  int discontinued_day = -1;  //!< from this day on it is never restocked; -1: never
  int renamed_day = -1;       //!< from this day on it is sold as new_name; -1: never
  std::string new_name;
  std::string new_name_csv;

  //! The name as a CSV field on day `day`.
  const std::string& NameCsvOn(int day) const {
    return renamed_day >= 0 && day >= renamed_day ? new_name_csv : name_csv;
  }
};

//! A customer's attributes, derived from the seed and the id (not stored, so a shop of
//! millions of customers costs only their weights and signup days).
struct Customer {
  int64_t id = 0;
  std::string name;  //!< UTF-8; some names are not ASCII
  std::string email;
  std::string city;
  std::string country;
  int renamed_day = -1;  //!< from this day on the name is new_name (a new last name); -1: never
  std::string new_name;

  const std::string& NameOn(int day) const {
    return renamed_day >= 0 && day >= renamed_day ? new_name : name;
  }
};

//! Two customers who always order the same things (a company's two buyers): every order of
//! `customer` is followed by the same order from `twin`, so their spend ties exactly.
struct TwinCustomers {
  int64_t customer = 0;  //!< 0: no twins
  int64_t twin = 0;
};

class Shop {
 public:
  static Shop Build(const ShopOptions& options);

  const ShopOptions& options() const { return options_; }
  const std::vector<Branch>& branches() const { return branches_; }
  const std::vector<Product>& products() const { return products_; }

  //! "YYYY-MM-DD" of day `day` (0 = the start).
  const std::string& Date(int day) const { return dates_[day]; }
  //! "YYYY-MM-DD" of any day relative to the start, before it too.
  std::string DateOf(int day) const;
  //! Orders placed on day `day` (they sum to options().orders).
  uint64_t OrdersOn(int day) const { return orders_per_day_[day]; }
  //! The first order id of day `day`: ids run on across days in time order.
  int64_t FirstOrderId(int day) const { return first_order_id_[day]; }

  //! Customers are numbered 1..n in signup order; those of day `day` are
  //! (CustomersThrough(day - 1), CustomersThrough(day)]; day 0's file also lists everyone
  //! who signed up before the start.
  int64_t CustomersThrough(int day) const {
    return day < 0 ? initial_customers_ : customers_through_[day];
  }
  Customer CustomerAt(int64_t id) const;
  //! The day customer `id` signed up, relative to the start (negative: before it).
  int SignupDay(int64_t id) const { return signup_day_[static_cast<size_t>(id - 1)]; }

  //! Draws a product by popularity.
  size_t PickProduct(Random& random) const { return popularity_.Pick(random); }
  //! Draws a customer who has signed up by `day`, by spend.
  int64_t PickCustomer(int day, Random& random) const {
    // Drawn among all by spend, redrawn until one has signed up: the same distribution as
    // drawing among the signed-up only, in O(1) (at least 60% have signed up on any day).
    for (;;) {
      auto id = static_cast<int64_t>(spend_.Pick(random)) + 1;
      if (id <= CustomersThrough(day)) return id;
    }
  }
  //! Draws a branch; at night only the online ones.
  const Branch& PickBranch(bool night, Random& random) const {
    return branches_[night ? online_branches_[online_choice_.Pick(random)]
                           : branch_choice_.Pick(random)];
  }
  //! Relative weight of each minute of the day (1440 entries).
  const std::vector<double>& MinuteWeights() const { return minute_weights_; }

  const TwinCustomers& twins() const { return twins_; }
  //! "YYYY-MM" of the month the shop is closed, empty when none.
  const std::string& closed_month() const { return closed_month_; }

 private:
  // The realities that name things: renamed products, a renamed branch, the twins.
  void AddRenamesAndTwins(const std::vector<size_t>& popularity_rank,
                          const std::vector<double>& spend, Random& random);

  ShopOptions options_;
  int64_t start_days_ = 0;  //!< the start, in days since 1970-01-01
  std::vector<Branch> branches_;
  std::vector<size_t> online_branches_;
  WeightedChoice branch_choice_;
  WeightedChoice online_choice_;
  std::vector<Product> products_;
  WeightedChoice popularity_;
  int64_t initial_customers_ = 0;
  std::vector<int64_t> customers_through_;
  std::vector<int> signup_day_;  //!< per customer id - 1
  WeightedChoice spend_;
  std::vector<std::string> dates_;
  std::vector<uint64_t> orders_per_day_;
  std::vector<int64_t> first_order_id_;
  std::vector<double> minute_weights_;
  TwinCustomers twins_;
  std::string closed_month_;
};

}  // namespace shoplake::simulate
