// PageTemplates: the web app's pages as Mustache templates kept under web/templates/ (one
// .html per page, see its README.md) and the scripts they inline (web/*.js), read once when
// the app starts. The engine is kainjow/mustache (docs/decisions/0009): {{name}} places a
// value HTML-escaped by report::EscapeHtml, the same escaping as the dashboard page, so a
// handler gives plain values and cannot forget to escape one; {{{name}}} places trusted text
// (a rendered template, the style sheet, a script, JSON made safe by report::ScriptJson).
//
// Thread safety: after Load, every member is const and safe from any number of threads.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace shoplake::server {

class PageTemplates {
 public:
  //! Reads every template of web/templates/ and the page scripts from `web_dir`. Throws
  //! Error(kNotFound) naming a missing file (with the hint to set SHOPLAKE_WEB_DIR), and
  //! Error(kConfig) naming a template Mustache cannot parse, with where.
  static PageTemplates Load(const std::filesystem::path& web_dir);

  //! The template `name` ("tables" for web/templates/tables.html) filled from `view`: an
  //! object whose strings are HTML-escaped where placed with {{ }}, numbers written as JSON
  //! does, lists repeated by sections, null and false leaving sections out. Throws
  //! Error(kInternal) for a template that was not loaded or fails to render.
  std::string Render(const std::string& name, const nlohmann::ordered_json& view) const;

  //! The page script web/`name` (e.g. "sql.js"), to inline with {{{ }}}.
  const std::string& Script(const std::string& name) const;

 private:
  std::map<std::string, std::string> templates_;  //!< by name, the text of each file
  std::map<std::string, std::string> scripts_;
};

}  // namespace shoplake::server
