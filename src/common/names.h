// Suggestions for misspelt names ("did you mean 'orders'?"), as ninja and git make them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake {

//! `text` in lower case (ASCII letters; other bytes unchanged).
std::string Lower(std::string_view text);

//! The lines of `text`, without their '\n' (views into `text`); a final '\n' ends the last
//! line rather than starting an empty one.
std::vector<std::string_view> Lines(std::string_view text);

//! True when `text` holds `name` ("shop.items") as a whole: not inside a longer word or
//! after a dot ("xshop.items", "shop.items_2", "db.shop.items" do not count).
bool MentionsName(std::string_view text, std::string_view name);

//! Edit distance (insertions, deletions, substitutions) between two strings.
size_t EditDistance(std::string_view a, std::string_view b);

//! The candidate nearest to `name` when it is close enough to be a likely typo
//! (distance at most a third of the name's length, and at least 1), else nullopt.
std::optional<std::string> ClosestName(std::string_view name,
                                       const std::vector<std::string>& candidates);

//! ", did you mean 'x'?" or "" — ready to append to a message.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace shoplake
