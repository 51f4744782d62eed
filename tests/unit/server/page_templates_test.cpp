// The web app's page templates (web/templates/, server/page_templates.h) as shipped: every
// value a page shows is HTML-escaped by the engine, and a missing or broken template stops
// the app at its start, naming the file.
#include "server/page_templates.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "support/temp_folder.h"

namespace shoplake::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const fs::path kWebDir = fs::path(SHOPLAKE_SOURCE_DIR) / "web";
constexpr const char* kHostile = "<script>alert('x')</script> & \"q\"";
constexpr const char* kEscaped =
    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;";

TEST(PageTemplates, EveryValueIsEscaped) {
  auto pages = PageTemplates::Load(kWebDir);
  std::string error = pages.Render("error", {{"message", kHostile}, {"input", ""}, {"hint", ""}});
  EXPECT_NE(error.find(kEscaped), std::string::npos) << error;
  EXPECT_EQ(error.find("<script>"), std::string::npos) << error;

  Json executions = Json::array({{{"arn_query", kHostile},
                                  {"name", kHostile},
                                  {"state_machine", kHostile},
                                  {"status", kHostile},
                                  {"started", ""},
                                  {"stopped", ""},
                                  {"error", kHostile}}});
  std::string list = pages.Render("executions", {{"executions", executions}});
  EXPECT_EQ(list.find("<script>"), std::string::npos) << list;
  EXPECT_NE(list.find(std::string("href=\"/execution?arn=") + kEscaped + "\""), std::string::npos)
      << list;
  EXPECT_NE(list.find(std::string("class=\"status-") + kEscaped + "\""), std::string::npos) << list;
}

TEST(PageTemplates, SectionsRepeatListsAndSkipNull) {
  auto pages = PageTemplates::Load(kWebDir);
  Json views =
      Json::array({{{"name", "shop.a"}, {"version", "1"}, {"file", "a.sql"}, {"updated", ""}},
                   {{"name", "shop.b"}, {"version", "2"}, {"file", "b.sql"}, {"updated", ""}}});
  std::string html = pages.Render(
      "tables", {{"tables", Json::array()}, {"views", views}, {"verification", nullptr}});
  EXPECT_NE(html.find("<td>shop.a</td><td>1</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>shop.b</td><td>2</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("Never verified"), std::string::npos) << html;
}

TEST(PageTemplates, AMissingOrBrokenTemplateIsNamed) {
  testing::TempFolder folder("page-templates-test");
  const fs::path& dir = folder.path();
  fs::copy(kWebDir / "templates", dir / "templates", fs::copy_options::recursive);
  try {
    PageTemplates::Load(dir);  // the scripts are missing
    ADD_FAILURE() << "loaded without web/sql.js";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.input(), (dir / "sql.js").string());
  }
  std::ofstream(dir / "templates" / "error.html") << "<p>{{#message}}</p>\n";
  try {
    PageTemplates::Load(dir);
    ADD_FAILURE() << "loaded a template whose section never closes";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(e.input(), (dir / "templates" / "error.html").string());
  }
  EXPECT_THROW(PageTemplates::Load(kWebDir).Render("nope", Json::object()), Error);
}

}  // namespace
}  // namespace shoplake::server
