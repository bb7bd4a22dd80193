#include "harness/claims/doc_lint.h"

#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <algorithm>
#include <sstream>

#include "harness/stats/analysis.h"
#include "harness/claims/claim_wording.h"
#include "harness/util/json_check.h"
#include "harness/judge/methodology.h"
#include "harness/report/release_notes.h"

namespace quant::harness {

namespace fs = std::filesystem;

namespace {

const std::regex& claim_link_re() {
  static const std::regex re(R"(\[claim:\s*([A-Za-z0-9_.\-]+)\s*\])");
  return re;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// Inline code spans and link targets become spaces (offsets stay put); claim links keep their label.
std::string strip_inline(const std::string& s) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '`') {
      size_t ticks = 1;
      while (i + ticks < out.size() && out[i + ticks] == '`') ++ticks;
      const std::string fence(ticks, '`');
      const size_t end = out.find(fence, i + ticks);
      if (end == std::string::npos) break;
      for (size_t k = i; k < end + ticks; ++k) out[k] = ' ';
      i = end + ticks - 1;
    } else if (out[i] == ']' && i + 1 < out.size() && out[i + 1] == '(') {
      const size_t end = out.find(')', i + 2);
      if (end == std::string::npos) continue;
      for (size_t k = i + 1; k <= end; ++k) out[k] = ' ';
      i = end;
    }
  }
  return out;
}

struct Block {
  std::string text;
  std::vector<std::pair<size_t, int>> line_at;  // (offset in text, source line)
  int line_of(size_t offset) const {
    int line = line_at.empty() ? 0 : line_at.front().second;
    for (const auto& [o, l] : line_at)
      if (o <= offset) line = l;
    return line;
  }
};

// "e.g." or "vs." end no sentence (KV type names start in lower case, so the next letter cannot tell).
bool abbreviation_before(const std::string& t, size_t dot) {
  size_t start = dot;
  while (start > 0 && (std::isalpha(static_cast<unsigned char>(t[start - 1])) || t[start - 1] == '.')) --start;
  std::string word = t.substr(start, dot - start);
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> abbreviations = {"e.g", "i.e", "vs", "etc", "cf", "approx", "incl", "resp", "fig",
                                                      "no", "ca", "al"};
  return abbreviations.count(word) > 0 || word.size() == 1;
}

// Inline HTML comments become spaces; `<!-- not-a-claim: REASON -->` ones are kept as (offset, reason).
std::vector<std::pair<size_t, std::string>> blank_comments(std::string& t) {
  std::vector<std::pair<size_t, std::string>> escapes;
  for (size_t at = t.find("<!--"); at != std::string::npos; at = t.find("<!--", at)) {
    const size_t end = t.find("-->", at + 4);
    if (end == std::string::npos) break;
    std::string reason;
    if (not_a_claim_escape(t.substr(at, end + 3 - at), reason)) escapes.emplace_back(at, reason);
    for (size_t k = at; k < end + 3; ++k) t[k] = ' ';
    at = end + 3;
  }
  return escapes;
}

void split_sentences(const Block& b, std::vector<Sentence>& out, const std::string* block_escape) {
  std::string t = strip_inline(b.text);
  const auto inline_escapes = blank_comments(t);
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t start = 0;
  auto emit = [&](size_t end) {
    ranges.emplace_back(start, end);
    start = end;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '.' && t[i] != '!' && t[i] != '?') continue;
    size_t j = i + 1;
    while (j < t.size() && (t[j] == ')' || t[j] == '"' || t[j] == '*')) ++j;
    if (j >= t.size() || !std::isspace(static_cast<unsigned char>(t[j]))) continue;
    if (t[i] == '.' && abbreviation_before(t, i)) continue;
    emit(j);
  }
  emit(t.size());
  const size_t first = out.size();
  std::vector<int> range_of;  // the emitted sentence of each range, or -1
  for (const auto& [a, e] : ranges) {
    const std::string s = trim(t.substr(a, e - a));
    if (s.empty()) {
      range_of.push_back(-1);
      continue;
    }
    size_t lead = a;
    while (lead < e && std::isspace(static_cast<unsigned char>(t[lead]))) ++lead;
    Sentence sen{b.line_of(lead), s, {}};
    for (auto it = std::sregex_iterator(s.begin(), s.end(), claim_link_re()); it != std::sregex_iterator(); ++it)
      sen.claims.push_back((*it)[1].str());
    if (block_escape) sen.escaped = true, sen.escape_reason = *block_escape;
    range_of.push_back(static_cast<int>(out.size()));
    out.push_back(sen);
  }
  // An inline escape covers the sentence it stands in, or the one it directly follows.
  for (const auto& [at, reason] : inline_escapes) {
    int target = -1;
    for (size_t r = 0; r < ranges.size(); ++r) {
      if (at < ranges[r].first || at >= ranges[r].second) continue;
      target = range_of[r];
      const bool leads = trim(t.substr(ranges[r].first, at - ranges[r].first)).empty();
      if ((leads || target < 0) && r > 0 && range_of[r - 1] >= 0) target = range_of[r - 1];
      break;
    }
    if (target < 0 && out.size() > first) target = static_cast<int>(out.size()) - 1;
    if (target >= static_cast<int>(first)) out[target].escaped = true, out[target].escape_reason = reason;
  }
}

bool starts_list_item(const std::string& l) {
  const std::string s = trim(l);
  if (s.size() > 1 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ') return true;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i > 0 && i + 1 < s.size() && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ';
}

}  // namespace

std::vector<Sentence> markdown_sentences(const std::string& markdown, bool skip_tables) {
  std::vector<Sentence> out;
  std::istringstream in(markdown);
  Block block;
  std::optional<std::string> escape;  // a `not-a-claim` line covers the block up to the next blank line
  auto flush = [&] {
    if (!trim(block.text).empty()) split_sentences(block, out, escape ? &*escape : nullptr);
    block = Block{};
  };
  bool fence = false, comment = false;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const std::string s = trim(line);
    if (comment) {
      if (s.find("-->") != std::string::npos) comment = false;
      continue;
    }
    if (s.rfind("```", 0) == 0 || s.rfind("~~~", 0) == 0) {
      flush();
      fence = !fence;
      continue;
    }
    if (fence) continue;
    if (s.rfind("<!--", 0) == 0 && (s.find("-->") == std::string::npos || s.find("-->") + 3 == s.size())) {
      flush();
      std::string reason;
      if (not_a_claim_escape(s, reason)) escape = reason;
      comment = s.find("-->") == std::string::npos;
      continue;
    }
    if (s.empty()) {
      flush();
      escape.reset();
      continue;
    }
    if (s[0] == '|') {  // a table row is a unit of its own
      flush();
      if (!skip_tables && s.find("---") == std::string::npos) {
        std::string t = strip_inline(s);
        const auto escapes = blank_comments(t);
        Sentence row{n, trim(t), {}};
        row.table_row = true;
        for (auto it = std::sregex_iterator(row.text.begin(), row.text.end(), claim_link_re()); it != std::sregex_iterator(); ++it)
          row.claims.push_back((*it)[1].str());
        if (escape || !escapes.empty()) row.escaped = true, row.escape_reason = escape ? *escape : escapes[0].second;
        out.push_back(row);
      }
      continue;
    }
    if (s[0] == '#' || starts_list_item(s)) flush();
    block.line_at.emplace_back(block.text.size(), n);
    block.text += (block.text.empty() ? "" : " ") + s;
    if (s[0] == '#') flush();
  }
  flush();
  return out;
}

namespace {

// Why a sentence needs a claim: its claim-like phrases and kinds, and a table row's numeric cells.
std::string claim_wording_of(const Sentence& s) {
  const std::string text = std::regex_replace(s.text, claim_link_re(), " ");
  std::string list;
  for (const auto& f : claim_findings(text))
    list += (list.empty() ? "'" : ", '") + f.phrase + "' (" + claim_kind_name(f.kind) + ")";
  if (s.table_row) {
    std::string cells;
    for (const auto& c : numeric_cells(text)) cells += (cells.empty() ? "'" : ", '") + c + "'";
    if (!cells.empty()) list += (list.empty() ? "" : "; ") + std::string("numeric cells ") + cells;
  }
  return list;
}

}  // namespace

std::vector<LintProblem> lint_claims(const std::string& file, const std::string& markdown, const ClaimsFile& claims,
                                     const Results* results, bool skip_tables, std::vector<LintEscape>* escapes) {
  std::vector<LintProblem> problems;
  std::map<std::string, ClaimOutcome> cache;
  for (const auto& s : markdown_sentences(markdown, skip_tables)) {
    const std::string shown = s.text.size() > 100 ? s.text.substr(0, 97) + "..." : s.text;
    if (s.escaped) {
      if (s.escape_reason.size() < 8)
        problems.push_back({file, s.line, "\"" + shown + "\": a `<!-- not-a-claim: REASON -->` escape needs a reason " +
                                              "(why the sentence states no claim about the project)"});
      if (escapes) escapes->push_back({file, s.line, s.escape_reason, shown});
      continue;
    }
    const std::string wording = claim_wording_of(s);
    if (!wording.empty() && s.claims.empty()) {
      problems.push_back({file, s.line, "\"" + shown + "\" uses claim wording (" + wording +
                                            ") without a link to a checked claim: add [claim: ID](claims/claims.json) "
                                            "with ID from " + claims.file + ", or mark a true non-claim with "
                                            "<!-- not-a-claim: REASON -->"});
      continue;
    }
    for (const auto& id : s.claims) {
      const Claim* c = claims.find(id);
      if (!c) {
        problems.push_back({file, s.line, "links claim '" + id + "', which is not in " + claims.file});
        continue;
      }
      if (!results) {
        problems.push_back({file, s.line, "claim '" + id + "' cannot be checked: no results file given"});
        continue;
      }
      auto it = cache.find(id);
      if (it == cache.end()) it = cache.emplace(id, evaluate_claim(*c, *results)).first;
      const ClaimOutcome& o = it->second;
      for (const auto& r : o.reasons) problems.push_back({file, s.line, "claim '" + id + "' fails: " + r});
      for (const auto& w : wording_problems(s.text, *c, o.checks, *results))
        problems.push_back({file, s.line, "sentence linked to claim '" + id + "': " + w});
    }
  }
  return problems;
}

namespace {

std::vector<std::pair<int, std::string>> table_rows(const std::string& text) {
  std::vector<std::pair<int, std::string>> rows;
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (!line.empty() && line[0] == '|') rows.emplace_back(n, line);
  }
  return rows;
}

}  // namespace

std::vector<LintProblem> lint_release_notes(const std::string& md_path, const ClaimsFile& claims,
                                           std::vector<LintEscape>* escapes) {
  std::vector<LintProblem> problems;
  const fs::path md(md_path);
  const std::string version = md.stem().string();
  const fs::path dir = md.parent_path();
  const std::string stored = stored_results_path(dir.string(), version);
  const std::string text = read_text(md_path);
  if (text.find(kPreviewMarker) != std::string::npos)  // `release-notes --preview` output placed as a release
    return {{md_path, 1, std::string("marked '") + kPreviewMarker + "': a preview is not a release (release notes "
                         "come from `bench-all release-notes --version X` on a release sweep)"}};
  if (!fs::exists(stored)) {
    problems.push_back({md_path, 1, "no " + stored + " beside it: its numbers cannot be traced to results"});
    for (auto& p : lint_claims(md_path, text, claims, nullptr, true, escapes)) problems.push_back(p);
    return problems;
  }
  const Results now = load_results(stored);
  for (const auto& v : check_methodology(now))
    problems.push_back({md_path, 1, "methodology rule " + v.rule + " fails on " + stored + ": " + v.message});
  std::optional<PreviousRelease> prev;
  if (const auto pv = previous_version(dir.string(), version))
    prev = PreviousRelease{*pv, load_results(stored_results_path(dir.string(), *pv))};
  const std::string fresh = render_release_notes(version, now, analyze(now), prev, "");
  const auto have = table_rows(text), want = table_rows(fresh);
  for (size_t i = 0; i < std::max(have.size(), want.size()); ++i) {
    if (i >= have.size()) {
      problems.push_back({md_path, have.empty() ? 1 : have.back().first,
                          "a table row is missing; a regeneration from " + stored + " has: " + want[i].second});
      break;
    }
    if (i >= want.size()) {
      problems.push_back({md_path, have[i].first, "table row not produced by a regeneration from " + stored + ": " +
                                                      have[i].second});
      break;
    }
    if (have[i].second != want[i].second) {
      problems.push_back({md_path, have[i].first, "table row differs from a regeneration from " + stored +
                                                      "; expected: " + want[i].second});
      break;
    }
  }
  // Sentences outside the generated tables and the generated prose (lines a regeneration has verbatim:
  // their figures come from the stored results like the tables' do).
  std::set<std::string> generated;
  {
    std::istringstream in(fresh);
    for (std::string l; std::getline(in, l);)
      if (!trim(l).empty()) generated.insert(l);
  }
  std::string handwritten;
  {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) handwritten += (generated.count(l) && l[0] != '|' ? "" : l) + "\n";
  }
  for (auto& p : lint_claims(md_path, handwritten, claims, &now, true, escapes)) problems.push_back(p);
  return problems;
}

}  // namespace quant::harness
