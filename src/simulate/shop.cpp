#include "simulate/shop.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "common/clock.h"
#include "common/csv.h"
#include "common/error.h"

namespace shoplake::simulate {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// Stream ids for StreamSeed: each part of the model draws from its own stream, so adding
// a draw to one part never shifts another.
enum Stream : uint64_t { kProducts = 1, kCustomers, kCalendar, kRealities };

struct Category {
  const char* name;
  int64_t min_cents, max_cents;
  std::array<const char*, 8> nouns;
  std::array<const char*, 4> variants;  // appended after ", " (so the name holds a comma)
};

// Prices in cents; nouns and variants make names like `Stoneware Mug, 350 ml`.
const Category kCategories[] = {
    {"Kitchen",
     490,
     8900,
     {"Mug", "Teapot", "Chef's Knife", "Cutting Board", "Espresso Cup", "Saucepan", "Whisk",
      "Salad Bowl"},
     {"350 ml", "set of 4", "large", "20 cm"}},
    {"Electronics",
     990,
     39900,
     {"Headphones", "USB-C Cable", "Power Bank", "Bluetooth Speaker", "Smart Plug", "Webcam",
      "Keyboard", "Mouse"},
     {"black", "2 m", "10000 mAh", "wireless"}},
    {"Books",
     790,
     4900,
     {"Cookbook", "Travel Guide", "Novel", "Atlas", "Sketchbook", "Planner", "Poetry",
      "Field Guide"},
     {"hardcover", "paperback", "2nd edition", "illustrated"}},
    {"Toys",
     590,
     12900,
     {"Puzzle", "Building Set", "Plush Bear", "Kite", "Board Game", "Yo-Yo", "Train Set",
      "Doll House"},
     {"500 pieces", "ages 6+", "deluxe", "travel size"}},
    {"Garden",
     390,
     24900,
     {"Watering Can", "Planter", "Pruning Shears", "Hose", "Seed Kit", "Bird Feeder", "Rake",
      "Lantern"},
     {"10 l", "terracotta", "25 m", "solar"}},
    {"Beauty",
     350,
     6900,
     {"Face Cream", "Shampoo", "Lip Balm", "Soap Bar", "Hand Lotion", "Perfume", "Serum",
      "Bath Salts"},
     {"50 ml", "unscented", "travel size", "refill"}},
    {"Sports",
     890,
     29900,
     {"Yoga Mat", "Water Bottle", "Running Socks", "Dumbbell", "Jump Rope", "Tennis Balls",
      "Bike Light", "Backpack"},
     {"6 mm", "750 ml", "pair", "5 kg"}},
    {"Fashion",
     990,
     19900,
     {"T-Shirt", "Scarf", "Beanie", "Sneakers", "Rain Jacket", "Belt", "Sunglasses", "Tote Bag"},
     {"size M", "navy", "organic cotton", "unisex"}},
    {"Home",
     690,
     34900,
     {"Candle", "Throw Blanket", "Cushion", "Vase", "Picture Frame", "Lamp", "Rug", "Clock"},
     {"40 x 40 cm", "linen", "set of 2", "oak"}},
    {"Office",
     190,
     15900,
     {"Notebook", "Fountain Pen", "Desk Organizer", "Stapler", "Sticky Notes", "Monitor Stand",
      "Paper Clips", "Pencil Case"},
     {"A5", "pack of 12", "refillable", "dotted"}},
    {"Pets",
     290,
     9900,
     {"Dog Leash", "Cat Toy", "Pet Bed", "Food Bowl", "Chew Bone", "Scratching Post", "Bird Seed",
      "Aquarium Filter"},
     {"medium", "2 kg", "washable", "stainless"}},
    {"Grocery",
     150,
     2900,
     {"Coffee Beans", "Green Tea", "Olive Oil", "Dark Chocolate", "Honey", "Pasta", "Granola",
      "Spice Mix"},
     {"1 kg", "organic", "250 g", "fair trade"}},
};

const char* const kAdjectives[] = {"Classic", "Nordic",  "Urban",  "Alpine",  "Coastal", "Rustic",
                                   "Modern",  "Vintage", "Eco",    "Premium", "Compact", "Bold",
                                   "Soft",    "Bright",  "Little", "Grand"};

// Some nicknames are quoted, as shops write them: Mug "Barista" -> "Mug ""Barista""".
const char* const kNicknames[] = {"Barista", "Aurora", "Nomad", "Pixel", "Maple", "Juno"};

struct Name {
  const char* utf8;
  const char* ascii;  // for e-mail addresses
};
const Name kFirstNames[] = {
    {"Anna", "anna"}, {"Ben", "ben"},       {"Clara", "clara"},     {"David", "david"},
    {"Elif", "elif"}, {"Felix", "felix"},   {"Greta", "greta"},     {"Hugo", "hugo"},
    {"Inès", "ines"}, {"Jonas", "jonas"},   {"Karin", "karin"},     {"Luca", "luca"},
    {"Maja", "maja"}, {"Noah", "noah"},     {"Olivia", "olivia"},   {"Paul", "paul"},
    {"Zoë", "zoe"},   {"Rafael", "rafael"}, {"Sofia", "sofia"},     {"Tomás", "tomas"},
    {"Ugo", "ugo"},   {"Vera", "vera"},     {"William", "william"}, {"Yara", "yara"},
    {"José", "jose"}, {"Léa", "lea"},       {"Mia", "mia"},         {"Emil", "emil"},
    {"Nora", "nora"}, {"Oskar", "oskar"},   {"Lina", "lina"},       {"Max", "max"}};
const Name kLastNames[] = {{"Müller", "mueller"},    {"Schmidt", "schmidt"},
                           {"García", "garcia"},     {"Rossi", "rossi"},
                           {"Dubois", "dubois"},     {"Novak", "novak"},
                           {"Jensen", "jensen"},     {"Silva", "silva"},
                           {"Kowalski", "kowalski"}, {"Fischer", "fischer"},
                           {"Martin", "martin"},     {"Bianchi", "bianchi"},
                           {"Nilsson", "nilsson"},   {"Weber", "weber"},
                           {"Costa", "costa"},       {"Horvat", "horvat"},
                           {"O'Brien", "obrien"},    {"Smith", "smith"},
                           {"Wagner", "wagner"},     {"Lefèvre", "lefevre"},
                           {"Yılmaz", "yilmaz"},     {"Papadopoulos", "papadopoulos"},
                           {"de Vries", "devries"},  {"Andersson", "andersson"}};
const char* const kDomains[] = {"example.com", "mail.example", "shopper.example", "post.example"};

struct Place {
  const char* city;
  const char* country;
  double weight;
};
const Place kPlaces[] = {
    {"Berlin", "DE", 9},   {"Hamburg", "DE", 6},  {"Munich", "DE", 6},     {"Cologne", "DE", 4},
    {"Vienna", "AT", 5},   {"Zurich", "CH", 4},   {"Amsterdam", "NL", 4},  {"Paris", "FR", 5},
    {"Lyon", "FR", 2},     {"Madrid", "ES", 3},   {"Lisbon", "PT", 2},     {"Milan", "IT", 3},
    {"Warsaw", "PL", 3},   {"Prague", "CZ", 2},   {"Copenhagen", "DK", 2}, {"Stockholm", "SE", 2},
    {"Dublin", "IE", 1.5}, {"Brussels", "BE", 2}, {"Kraków", "PL", 1},     {"Malmö", "SE", 1}};

// Orders per hour of the day (shop time), relative: quiet nights, a lunch bump, an evening peak.
const double kHourWeights[24] = {0.25, 0.12, 0.06, 0.04, 0.04, 0.08, 0.25, 0.55,
                                 0.85, 1.05, 1.15, 1.25, 1.35, 1.25, 1.15, 1.15,
                                 1.25, 1.45, 1.7,  1.95, 2.05, 1.75, 1.1,  0.55};
// Monday .. Sunday.
const double kWeekdayWeights[7] = {0.95, 0.92, 0.96, 1.0, 1.1, 1.22, 0.98};

sys_days ParseStart(const std::string& text) {
  auto day = ParseIsoDate(text);
  if (!day) {
    throw Error(ErrorCode::kUsage, "not a date: '" + text + "'", "--start",
                "give the first day as YYYY-MM-DD, e.g. 2026-01-01");
  }
  return *day;
}

// How busy a date is, before the day's own noise: weekday, season, Black Friday, December.
double DayWeight(sys_days day) {
  year_month_day ymd{day};
  std::chrono::weekday wd{day};
  double weight = kWeekdayWeights[wd.iso_encoding() - 1];
  auto jan1 = sys_days{ymd.year() / std::chrono::January / 1};
  double day_of_year = static_cast<double>((day - jan1).count());
  // A gentle annual wave, low in late summer, high towards winter.
  weight *= 1.0 + 0.12 * std::cos(2 * M_PI * (day_of_year - 340) / 365.0);
  unsigned month = static_cast<unsigned>(ymd.month());
  unsigned dom = static_cast<unsigned>(ymd.day());
  // Black Friday: the day after the fourth Thursday of November; Cyber Monday three days on.
  auto thanksgiving = sys_days{ymd.year() / std::chrono::November / std::chrono::Thursday[4]};
  if (day == thanksgiving + days{1}) weight *= 3.0;
  if (day == thanksgiving + days{4}) weight *= 2.2;
  if (month == 12 && dom <= 22) weight *= 1.45;
  if (month == 12 && dom >= 24 && dom <= 26) weight *= 0.55;
  if (month == 1 && dom <= 6) weight *= 1.2;  // January sales
  return weight;
}

// A month without sales, when the period covers six calendar months or more: one whole
// month, neither the first nor the last of the period, drawn from `random`, gets no orders
// and no sign-ups (the shop closed, e.g. to move). Returns "YYYY-MM", or "" when the period
// is too short.
std::string CloseAMonth(sys_days start, std::vector<double>& day_weights, Random& random) {
  struct Month {
    std::chrono::year_month month;
    size_t first = 0, count = 0;
  };
  std::vector<Month> months;
  for (size_t d = 0; d < day_weights.size(); ++d) {
    year_month_day ymd{start + days{static_cast<int>(d)}};
    std::chrono::year_month month{ymd.year(), ymd.month()};
    if (months.empty() || months.back().month != month) months.push_back({month, d, 0});
    ++months.back().count;
  }
  if (months.size() < 6) return "";
  // Every month but the first and the last is whole.
  const Month& closed = months[1 + random.Below(months.size() - 2)];
  for (size_t d = closed.first; d < closed.first + closed.count; ++d) day_weights[d] = 0;
  return fmt::format("{:04}-{:02}", static_cast<int>(closed.month.year()),
                     static_cast<unsigned>(closed.month.month()));
}

// "Classic Mug, 350 ml" -> "Nordic Mug, 350 ml": a product renamed takes another adjective.
std::string RenamedProduct(const std::string& name, Random& random) {
  std::string rest = name.substr(name.find(' '));
  std::string adjective = name.substr(0, name.find(' '));
  for (;;) {
    std::string other = kAdjectives[random.Below(std::size(kAdjectives))];
    if (other != adjective) return other + rest;
  }
}

// A day in [from, to) to rename on, or -1 when that range is empty.
int RenameDay(int from, int to, uint64_t draw) {
  return from < to ? from + static_cast<int>(draw % static_cast<uint64_t>(to - from)) : -1;
}

}  // namespace

Shop Shop::Build(const ShopOptions& options) {
  if (options.days < 1 || options.days > 3660) {
    throw Error(ErrorCode::kUsage, fmt::format("--days {} is out of range", options.days), "--days",
                "export between 1 and 3660 days");
  }
  if (options.orders < 1) {
    throw Error(ErrorCode::kUsage, "--orders must be at least 1", "--orders");
  }
  Shop shop;
  shop.options_ = options;
  sys_days start = ParseStart(options.start);
  shop.start_days_ = start.time_since_epoch().count();

  // Branches: stores (open by day), the web shop and a marketplace channel.
  const char* const stores[] = {"Berlin Mitte",  "Hamburg Altona", "Munich Schwabing",
                                "Vienna Neubau", "Zurich Kreis 4", "Amsterdam Jordaan"};
  std::vector<double> branch_weights;
  int id = 1;
  for (const char* name : stores) {
    shop.branches_.push_back({id++, std::string(name) + " Store", "store", false, -1, ""});
    branch_weights.push_back(1.0);
  }
  shop.branches_.push_back({id++, "Web Shop", "web", true, -1, ""});
  branch_weights.push_back(7.0);
  shop.branches_.push_back({id++, "Marketplace", "marketplace", true, -1, ""});
  branch_weights.push_back(2.5);
  shop.branch_choice_ = WeightedChoice(branch_weights);
  std::vector<double> online_weights;
  for (size_t i = 0; i < shop.branches_.size(); ++i) {
    if (shop.branches_[i].online) {
      shop.online_branches_.push_back(i);
      online_weights.push_back(branch_weights[i]);
    }
  }
  shop.online_choice_ = WeightedChoice(online_weights);

  // The calendar: dates, how many orders each day gets, where its order ids start.
  Random calendar(StreamSeed(options.seed, kCalendar));
  std::vector<double> day_weights;
  for (int d = 0; d < options.days; ++d) {
    sys_days day = start + days{d};
    shop.dates_.push_back(ToIsoDate(day));
    day_weights.push_back(DayWeight(day) * (0.9 + 0.2 * calendar.Unit()));
  }
  Random realities(StreamSeed(options.seed, kRealities));
  if (options.realities > 0) shop.closed_month_ = CloseAMonth(start, day_weights, realities);
  shop.orders_per_day_ = Apportion(options.orders, day_weights);
  int64_t next_order = 1'000'001;
  for (int d = 0; d < options.days; ++d) {
    shop.first_order_id_.push_back(next_order);
    next_order += static_cast<int64_t>(shop.orders_per_day_[d]);
  }
  for (double hour : kHourWeights) {
    for (int m = 0; m < 60; ++m) shop.minute_weights_.push_back(hour / 60.0);
  }

  // Products: about one per 100 orders, Zipf popularity over a shuffled ranking.
  Random product_random(StreamSeed(options.seed, kProducts));
  size_t product_count = std::clamp<uint64_t>(options.orders / 100, 50, 5000);
  std::vector<size_t> rank(product_count);
  for (size_t i = 0; i < product_count; ++i) rank[i] = i;
  for (size_t i = product_count - 1; i > 0; --i) {
    std::swap(rank[i], rank[product_random.Below(i + 1)]);
  }
  std::vector<double> popularity(product_count);
  double popularity_sum = 0;
  for (size_t i = 0; i < product_count; ++i) {
    popularity[i] = 1.0 / std::pow(static_cast<double>(rank[i] + 1), 1.07);
    popularity_sum += popularity[i];
  }
  shop.popularity_ = WeightedChoice(popularity);
  // Units a product sells per day on average: ~2.1 lines per order, ~1.6 units per line.
  double units_per_day = static_cast<double>(options.orders) / options.days * 2.1 * 1.6;
  for (size_t i = 0; i < product_count; ++i) {
    const Category& category = kCategories[product_random.Below(std::size(kCategories))];
    Product p;
    p.id = static_cast<int64_t>(10001 + i);
    std::string noun = category.nouns[product_random.Below(category.nouns.size())];
    p.name = std::string(kAdjectives[product_random.Below(std::size(kAdjectives))]) + " " + noun;
    uint64_t flavour = product_random.Below(10);
    if (flavour < 3) {
      p.name += ", " + std::string(category.variants[product_random.Below(4)]);
    } else if (flavour == 3) {
      p.name += " \"" + std::string(kNicknames[product_random.Below(std::size(kNicknames))]) + "\"";
    }
    p.name_csv = CsvField(p.name);
    p.category = category.name;
    // Prices skew low within the category's range, and end in .99 or .49 as shops like.
    double u = product_random.Unit();
    int64_t cents =
        category.min_cents +
        static_cast<int64_t>(u * u * static_cast<double>(category.max_cents - category.min_cents));
    p.price_cents =
        std::max<int64_t>(99, cents / 100 * 100 + (product_random.Chance(0.7) ? 99 : 49));
    p.cost_cents = p.price_cents * product_random.Between(35, 72) / 100;
    double demand = std::max(0.05, units_per_day * popularity[i] / popularity_sum);
    p.lead_days = static_cast<int>(product_random.Between(3, 14));
    p.reorder_quantity =
        std::max<int64_t>(6, std::llround(demand * product_random.Between(14, 45)));
    // Reorder points a little below the demand over the lead time: popular products run
    // out now and then, as they do.
    p.reorder_point = std::llround(demand * p.lead_days * (0.5 + 0.6 * product_random.Unit()));
    p.initial_stock = std::max<int64_t>(3, std::llround(demand * product_random.Between(5, 40)));
    if (product_random.Chance(0.05)) {
      p.discontinued_day = static_cast<int>(product_random.Below(options.days));
    }
    shop.products_.push_back(std::move(p));
  }

  // Customers: about one per three orders; 60% signed up before the start (over the two
  // years before it), the rest sign up day by day, more on busy days. Spend is Pareto.
  Random customer_random(StreamSeed(options.seed, kCustomers));
  int64_t customer_count =
      std::clamp<int64_t>(static_cast<int64_t>(options.orders / 3), 20, 2'000'000);
  shop.initial_customers_ = customer_count * 6 / 10;
  std::vector<uint64_t> signups =
      Apportion(static_cast<uint64_t>(customer_count - shop.initial_customers_), day_weights);
  shop.signup_day_.reserve(customer_count);
  for (int64_t i = 0; i < shop.initial_customers_; ++i) {
    shop.signup_day_.push_back(static_cast<int>(-730 + i * 730 / shop.initial_customers_));
  }
  int64_t through = shop.initial_customers_;
  for (int d = 0; d < options.days; ++d) {
    through += static_cast<int64_t>(signups[d]);
    shop.customers_through_.push_back(through);
    for (uint64_t k = 0; k < signups[d]; ++k) shop.signup_day_.push_back(d);
  }
  std::vector<double> spend(customer_count);
  for (auto& s : spend) {
    // Pareto with alpha 1.16 (the 80/20 rule), capped so one customer cannot dominate.
    s = std::min(200.0, std::pow(1.0 - customer_random.Unit(), -1.0 / 1.16));
  }
  shop.spend_ = WeightedChoice(spend);
  if (options.realities > 0) shop.AddRenamesAndTwins(rank, spend, realities);
  return shop;
}

void Shop::AddRenamesAndTwins(const std::vector<size_t>& popularity_rank,
                              const std::vector<double>& spend, Random& random) {
  const double rate = options_.realities;
  const int days = options_.days;
  // Products: each at the rate, and always the most popular one halfway through, so the
  // top sellers show a product under its latest name.
  for (size_t i = 0; i < products_.size(); ++i) {
    Product& p = products_[i];
    bool renamed = random.Chance(rate) || popularity_rank[i] == 0;
    uint64_t draw = random.Next();
    if (!renamed) continue;
    p.renamed_day =
        popularity_rank[i] == 0 ? (days >= 2 ? days / 2 : -1) : RenameDay(1, days, draw);
    p.new_name = RenamedProduct(p.name, random);
    p.new_name_csv = CsvField(p.new_name);
  }
  // One store moves to a bigger place and becomes an outlet, by name.
  Branch& branch = branches_[random.Below(6)];
  branch.renamed_day = RenameDay(1, days, random.Next());
  branch.new_name = branch.name.substr(0, branch.name.rfind(" Store")) + " Outlet";
  // Twins: the biggest spender among those who signed up before the start, and another of
  // them, who orders only as a twin.
  int64_t big = 1;
  for (int64_t id = 1; id <= initial_customers_; ++id) {
    if (spend[static_cast<size_t>(id - 1)] > spend[static_cast<size_t>(big - 1)]) big = id;
  }
  int64_t twin = big;
  while (initial_customers_ > 1 && twin == big) {
    twin = static_cast<int64_t>(random.Below(static_cast<uint64_t>(initial_customers_))) + 1;
  }
  if (twin != big) twins_ = {big, twin};
}

Customer Shop::CustomerAt(int64_t id) const {
  // One 64-bit hash of (seed, id) gives every attribute: cheap enough to run per order
  // instead of storing millions of customers.
  uint64_t h = StreamSeed(options_.seed ^ 0xC057011E5ull, static_cast<uint64_t>(id));
  auto take = [&h](uint64_t n) {
    uint64_t v = h % n;
    h /= n;
    return v;
  };
  const Name& first = kFirstNames[take(std::size(kFirstNames))];
  const Name& last = kLastNames[take(std::size(kLastNames))];
  const char* domain = kDomains[take(std::size(kDomains))];
  double total = 0;
  for (const Place& p : kPlaces) total += p.weight;
  double target = static_cast<double>(take(1u << 20)) / (1u << 20) * total;
  const Place* place = &kPlaces[0];
  for (const Place& p : kPlaces) {
    place = &p;
    if (target < p.weight) break;
    target -= p.weight;
  }
  Customer c;
  c.id = id;
  c.name.append(first.utf8).append(" ").append(last.utf8);
  c.email.append(first.ascii).append(".").append(last.ascii).append(std::to_string(id));
  c.email.append("@").append(domain);
  c.city = place->city;
  c.country = place->country;
  if (options_.realities > 0) {
    // Renames draw from their own hash, so the attributes above are the same with or without.
    uint64_t r = StreamSeed(options_.seed ^ 0x7E4A3E5ull, static_cast<uint64_t>(id));
    bool renamed =
        static_cast<double>(r >> 11) * 0x1.0p-53 < options_.realities || id == twins_.customer;
    int from = std::max(1, SignupDay(id) + 1);
    c.renamed_day = !renamed                ? -1
                    : id == twins_.customer ? (options_.days >= 2 ? options_.days / 2 : -1)
                                            : RenameDay(from, options_.days, Mix(r));
    if (c.renamed_day >= 0) {
      const Name& married =
          kLastNames[(&last - kLastNames + 1 + Mix(r + 1) % (std::size(kLastNames) - 1)) %
                     std::size(kLastNames)];
      c.new_name.append(first.utf8).append(" ").append(married.utf8);
    }
  }
  return c;
}

std::string Shop::DateOf(int day) const {
  return day >= 0 && day < options_.days ? dates_[day]
                                         : ToIsoDate(sys_days{days{start_days_ + day}});
}

}  // namespace shoplake::simulate
