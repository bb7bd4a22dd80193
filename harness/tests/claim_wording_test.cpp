// The claim-wording corpus (harness/tests/fixtures/claim_wording/): overclaims of every kind must be
// flagged with the right reason (>= 95% of >= 60), benign technical sentences never (0 of >= 40); plus
// the not-a-claim escape and the table rule. Each line is linted as its own Markdown paragraph, with no
// claims file entries and no results, as `bench-all claims --lint` would see it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "harness/claims/claim_wording.h"
#include "harness/claims/doc_lint.h"
#include "harness_test_support.h"

namespace quant::harness {
namespace {

struct Line {
  std::string kind, text;
};

std::vector<Line> corpus(const std::string& name, bool with_kind) {
  std::ifstream in(test::fixture("claim_wording/" + name));
  EXPECT_TRUE(in.good()) << name;
  std::vector<Line> out;
  for (std::string l; std::getline(in, l);) {
    if (l.empty() || l[0] == '#') continue;
    if (!with_kind) {
      out.push_back({"", l});
      continue;
    }
    const size_t tab = l.find('\t');
    EXPECT_NE(tab, std::string::npos) << l;
    if (tab != std::string::npos) out.push_back({l.substr(0, tab), l.substr(tab + 1)});
  }
  return out;
}

std::vector<LintProblem> lint_one(const std::string& markdown, std::vector<LintEscape>* escapes = nullptr) {
  ClaimsFile none;
  none.file = "claims.json";
  return lint_claims("doc.md", markdown + "\n", none, nullptr, false, escapes);
}

// The phrase a kind is reported with in the lint message.
std::string reason_of(const std::string& kind) {
  if (kind == "table") return "numeric cells";
  for (ClaimKind k : {ClaimKind::lossless, ClaimKind::hedged, ClaimKind::comparative, ClaimKind::parity,
                      ClaimKind::superlative, ClaimKind::winning, ClaimKind::factor, ClaimKind::percentage,
                      ClaimKind::figure, ClaimKind::context}) {
    std::string name = claim_kind_name(k);
    std::string key = name;
    for (char& c : key)
      if (c == ' ') c = '_';
    if (kind == name || kind == key || name.rfind(kind, 0) == 0) return "(" + name + ")";
  }
  ADD_FAILURE() << "unknown kind in the corpus: " << kind;
  return "?";
}

TEST(ClaimWording, OverclaimCorpusIsFlaggedWithTheRightReason) {
  const auto lines = corpus("overclaims.txt", true);
  std::map<std::string, std::pair<int, int>> by_kind;  // kind -> (flagged right, total)
  int right = 0, flagged = 0;
  for (const auto& l : lines) {
    const auto problems = lint_one(l.text);
    const std::string reason = reason_of(l.kind);
    bool ok = false;
    for (const auto& p : problems) ok |= p.message.find(reason) != std::string::npos;
    flagged += !problems.empty();
    right += ok;
    by_kind[l.kind].second++;
    by_kind[l.kind].first += ok;
    if (!ok)
      std::printf("  missed (%s): %s%s\n", l.kind.c_str(), l.text.c_str(),
                  problems.empty() ? "" : ("\n    got: " + problems[0].message).c_str());
  }
  std::printf("claim-wording corpus: %d overclaims, %d flagged, %d with the right reason (%.1f%%)\n",
              static_cast<int>(lines.size()), flagged, right, 100.0 * right / std::max<size_t>(1, lines.size()));
  for (const auto& [k, v] : by_kind) std::printf("  %-12s %d/%d\n", k.c_str(), v.first, v.second);
  EXPECT_GE(lines.size(), 60u);
  EXPECT_GE(by_kind.size(), 11u) << "every kind is in the corpus";
  EXPECT_GE(right, static_cast<int>(std::ceil(0.95 * static_cast<double>(lines.size()))));
}

TEST(ClaimWording, BenignTechnicalSentencesAreNotFlagged) {
  const auto lines = corpus("benign.txt", false);
  int flagged = 0;
  for (const auto& l : lines) {
    const auto problems = lint_one(l.text);
    if (!problems.empty()) {
      ++flagged;
      std::printf("  flagged: %s\n    %s\n", l.text.c_str(), problems[0].message.c_str());
    }
  }
  std::printf("claim-wording corpus: %d benign sentences, %d flagged\n", static_cast<int>(lines.size()), flagged);
  EXPECT_GE(lines.size(), 40u);
  EXPECT_EQ(flagged, 0);
}

TEST(ClaimWording, EscapeIsExplicitCountedAndNeedsAReason) {
  std::vector<LintEscape> escapes;
  const std::string md =
      "phi3 (4k-context models) loads. <!-- not-a-claim: the model family's trained context, not a measurement -->\n"
      "turbo_kv_4b is near-lossless.\n\n"
      "<!-- not-a-claim: byte layouts follow from the format definition -->\n"
      "| type | bytes |\n|---|---|\n| q8_0 | 34 |\n\n"
      "| fp16 | 19.10 tok/s |\n\n"
      "Now 2x faster. <!-- not-a-claim: -->\n";
  const auto problems = lint_one(md, &escapes);
  ASSERT_EQ(escapes.size(), 4u);  // the phi3 sentence, both rows of the escaped table, the empty escape
  EXPECT_EQ(escapes[0].line, 1);
  EXPECT_EQ(escapes[0].reason, "the model family's trained context, not a measurement");
  EXPECT_EQ(escapes[1].reason, "byte layouts follow from the format definition");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].message.find("near-lossless"), std::string::npos) << "the escape covers one sentence only";
  EXPECT_EQ(problems[1].line, 9);
  EXPECT_NE(problems[1].message.find("numeric cells '19.10 tok/s'"), std::string::npos) << problems[1].message;
  EXPECT_NE(problems[2].message.find("escape needs a reason"), std::string::npos) << problems[2].message;
}

TEST(ClaimWording, NumericCellsAndSpelledFactors) {
  EXPECT_EQ(numeric_cells("| turbo_kv_4b | 34 | 7.5x | 1.05 [0.98, 1.10] | +0.4% | 16 / 128 | fp32 | Q4_0 |"),
            (std::vector<std::string>{"34", "7.5x", "1.05 [0.98, 1.10]", "+0.4%", "16 / 128"}));
  EXPECT_TRUE(numeric_cells("| `absolute` | same machine class only | Mann-Whitney U |").empty());
  EXPECT_EQ(spelled_factor("nine-fold"), 9);
  EXPECT_EQ(spelled_factor("12-fold"), 12);
  EXPECT_EQ(spelled_factor("halves"), 2);
  EXPECT_EQ(spelled_factor("a third of the"), 3);
  EXPECT_EQ(spelled_factor("twice as"), 2);
  EXPECT_EQ(normalise_percent_words("30 percent faster, 12 per cent"), "30% faster, 12%");
}

}  // namespace
}  // namespace quant::harness
