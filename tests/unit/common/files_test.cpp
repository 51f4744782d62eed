// common/files.h on real files: ReadLinePieces cuts only after a newline, whatever the read
// buffer's size, and stops when asked.
#include "common/files.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "support/temp_folder.h"

namespace shoplake {
namespace {

TEST(Files, ReadLinePiecesEndEachPieceAfterANewline) {
  ::shoplake::testing::TempFolder folder("shoplake-files");
  // CRLF lines of 1,000 bytes whose two-byte character lies across the first 64 KiB read's
  // end (65,536 = 65 lines and 536 bytes), and a last line without its newline.
  std::string line = std::string(535, 'a') + "\xC3\xA9" + std::string(461, 'b') + "\r\n", text;
  for (int i = 0; i < 300; ++i) text += line;
  text += "last \xC3\xA9";
  WriteFileAtomically(folder.path() / "lines.csv", text);

  std::string read;
  int pieces = 0;
  ReadLinePieces(folder.path() / "lines.csv", [&](std::string_view piece) {
    if (piece.size() < 5 || piece.substr(0, 5) != "last ") {
      EXPECT_EQ(piece.back(), '\n') << "piece " << pieces;
    }
    read.append(piece);
    ++pieces;
    return true;
  });
  EXPECT_EQ(read, text);
  EXPECT_GT(pieces, 2);

  int seen = 0;
  ReadLinePieces(folder.path() / "lines.csv", [&](std::string_view) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);

  EXPECT_THROW(ReadLinePieces(folder.path() / "missing.csv", [](std::string_view) { return true; }),
               Error);
}

}  // namespace
}  // namespace shoplake
