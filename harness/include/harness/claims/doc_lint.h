#pragma once
// Lints Markdown documents (README.md, docs/*.md, reports/releases/*.md): every sentence or table row
// that states a measured quantity or compares the project's speed, quality or size (claim_wording.h)
// must link a claim, written [claim: ID](claims/claims.json), whose checks pass against the results and
// whose wording rules hold for the sentence; a table row with numeric cells must link one too. A true
// non-claim is exempted in the open with `<!-- not-a-claim: REASON -->` (inline: its sentence; on a
// line of its own: the block up to the next blank line), and every exemption is reported. Release
// notes' tables must equal a regeneration from the results file stored beside them (X.results.json),
// and that file must pass the methodology rules.
#include <map>
#include <string>
#include <vector>

#include "harness/claims/claims.h"
#include "harness/store/results.h"

namespace quant::harness {

struct LintProblem {
  std::string file;
  int line = 0;
  std::string message;
  std::string text() const { return file + ":" + std::to_string(line) + ": " + message; }
};

struct Sentence {
  int line = 0;
  std::string text;                 // inline code and link targets removed
  std::vector<std::string> claims;  // ids of [claim: ID] links in the sentence
  bool table_row = false;
  bool escaped = false;             // under a `<!-- not-a-claim: REASON -->`
  std::string escape_reason = "";
};

struct LintEscape {
  std::string file;
  int line = 0;
  std::string reason, sentence;
};

// Sentences of a Markdown text, outside code blocks and HTML comments; table rows count as sentences
// unless `skip_tables` (generated tables are checked by regeneration instead).
std::vector<Sentence> markdown_sentences(const std::string& markdown, bool skip_tables);

// Claim wording and links; `results` may be null (then every linked claim is reported as unchecked).
// Exempted sentences are appended to `escapes` when given.
std::vector<LintProblem> lint_claims(const std::string& file, const std::string& markdown, const ClaimsFile& claims,
                                     const Results* results, bool skip_tables = false,
                                     std::vector<LintEscape>* escapes = nullptr);

// A release notes file: its claims against its own stored results, its tables against a regeneration,
// and the methodology rules on those results.
std::vector<LintProblem> lint_release_notes(const std::string& md_path, const ClaimsFile& claims,
                                           std::vector<LintEscape>* escapes = nullptr);

}  // namespace quant::harness
