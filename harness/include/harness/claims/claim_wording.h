#pragma once
// What makes a sentence a claim: the wording the claims lint looks for in documents. The rule, not a
// phrase list alone: a sentence states a measured quantity of the project (a number with a unit of
// speed, size, quality, memory or context; a factor, in digits or words; a percentage) or compares or
// ranks its speed, quality or size (comparative, parity, hedged, superlative or winning wording).
// Word classes are grammars (number + unit, comparative + performance noun), so wordings not seen
// before are caught; technical figures (flags, versions, hex, paths, head dims, layouts) are not.
#include <string>
#include <vector>

namespace quant::harness {

enum class ClaimKind {
  lossless,     // "lossless", "no quality loss"
  hedged,       // "near-lossless", "negligible loss", "no measurable loss", "almost no"
  comparative,  // "faster than", "smaller caches", "speeds up decoding", "lower perplexity"
  parity,       // "matches fp32 speed", "as fast as", "on par with", "virtually identical"
  superlative,  // "the fastest", "the best", "state of the art"
  winning,      // "beats", "outpaces", "edges out", "leads", "tops"
  factor,       // "7x", "3 times", "nine-fold", "halves", "a third of the memory"
  percentage,   // "+13%", "99.5% of", "30 percent"
  figure,       // a number with a unit of speed, size, memory or quality: "16.6 tok/s", "2.1 GB", "PPL 13.56"
  context,      // "32K context", "a context of 128k tokens"
};
const char* claim_kind_name(ClaimKind k);

struct ClaimFinding {
  ClaimKind kind;
  std::string phrase;  // the words that made it a claim, as written
  size_t pos = 0;      // offset in the sentence
};

// Every claim-like phrase of a sentence (inline code already removed), in order of position.
std::vector<ClaimFinding> claim_findings(const std::string& sentence);

// A factor written in words ("nine-fold" 9, "halves" 2, "a third of" 3, "twice" 2); 0 when none.
double spelled_factor(const std::string& phrase);

// "30 percent faster" -> "30% faster": the wording rules read one spelling of percentages.
std::string normalise_percent_words(const std::string& s);

// Cells of a Markdown table row that hold figures ("40.6", "3.2x", "+0.4%", "16 / 128", "1.05 [0.98, 1.10]").
std::vector<std::string> numeric_cells(const std::string& row);

// The escape for a true non-claim: `<!-- not-a-claim: REASON -->`. Returns true and sets `reason`
// (possibly empty, which the lint reports) when `text` holds one.
bool not_a_claim_escape(const std::string& text, std::string& reason);

}  // namespace quant::harness
