// PageTemplates over kainjow/mustache: a view (JSON) becomes Mustache data, escaped on the
// way out by report::EscapeHtml.
#include "server/page_templates.h"

#include <kainjow/mustache.hpp>

#include "common/error.h"
#include "report/report.h"

namespace shoplake::server {
namespace {

namespace fs = std::filesystem;
namespace mustache = kainjow::mustache;

//! The pages; each is web/templates/<name>.html.
constexpr const char* kTemplates[] = {"page", "nav",        "tables",    "table",
                                      "sql",  "executions", "execution", "error"};
//! The scripts pages inline, beside the dashboard's in web/.
constexpr const char* kScripts[] = {"sql.js", "state_graph.js"};

// A Mustache template of ours: escaping as every shoplake page escapes.
mustache::mustache Parse(const std::string& text) {
  mustache::mustache tmpl(text);
  tmpl.set_custom_escape([](const std::string& value) { return report::EscapeHtml(value); });
  return tmpl;
}

mustache::data ToData(const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object: {
      mustache::data object(mustache::data::type::object);
      for (const auto& [key, member] : value.items()) object.set(key, ToData(member));
      return object;
    }
    case nlohmann::ordered_json::value_t::array: {
      mustache::data list(mustache::data::type::list);
      for (const auto& item : value) list.push_back(ToData(item));
      return list;
    }
    case nlohmann::ordered_json::value_t::string:
      return mustache::data(value.get_ref<const std::string&>());
    case nlohmann::ordered_json::value_t::boolean:
      return mustache::data(value.get<bool>());
    case nlohmann::ordered_json::value_t::null:
      return mustache::data(false);
    default:
      return mustache::data(value.dump());  // a number, as JSON writes it
  }
}

}  // namespace

PageTemplates PageTemplates::Load(const fs::path& web_dir) {
  PageTemplates pages;
  for (const char* name : kTemplates) {
    const std::string relative = "templates/" + std::string(name) + ".html";
    std::string text = report::ReadWebFile(web_dir, relative);
    if (auto tmpl = Parse(text); !tmpl.is_valid()) {
      throw Error(ErrorCode::kConfig,
                  "the page template is not valid Mustache: " + tmpl.error_message(),
                  (web_dir / relative).string(), "fix the template's tags");
    }
    pages.templates_[name] = std::move(text);
  }
  for (const char* name : kScripts) pages.scripts_[name] = report::ReadWebFile(web_dir, name);
  return pages;
}

std::string PageTemplates::Render(const std::string& name,
                                  const nlohmann::ordered_json& view) const {
  auto text = templates_.find(name);
  if (text == templates_.end()) {
    throw Error(ErrorCode::kInternal, "no page template '" + name + "'", name,
                "add web/templates/" + name + ".html and list it in server/page_templates.cpp");
  }
  // Parsed for each page (a few microseconds): a parsed template is not safe to share
  // between the threads that render it.
  mustache::mustache tmpl = Parse(text->second);
  std::string html = tmpl.render(ToData(view));
  if (!tmpl.is_valid()) {
    throw Error(ErrorCode::kInternal,
                "page template '" + name + "' failed: " + tmpl.error_message(), name,
                "fix web/templates/" + name + ".html");
  }
  return html;
}

const std::string& PageTemplates::Script(const std::string& name) const {
  auto script = scripts_.find(name);
  if (script == scripts_.end()) {
    throw Error(ErrorCode::kInternal, "no page script '" + name + "'", name,
                "list it in server/page_templates.cpp");
  }
  return script->second;
}

}  // namespace shoplake::server
