#include "harness/claims/claim_wording.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

namespace quant::harness {

const char* claim_kind_name(ClaimKind k) {
  switch (k) {
    case ClaimKind::lossless: return "lossless";
    case ClaimKind::hedged: return "hedged quality";
    case ClaimKind::comparative: return "comparative";
    case ClaimKind::parity: return "parity";
    case ClaimKind::superlative: return "superlative";
    case ClaimKind::winning: return "winning verb";
    case ClaimKind::factor: return "factor";
    case ClaimKind::percentage: return "percentage";
    case ClaimKind::figure: return "figure with a unit";
    case ClaimKind::context: return "context size";
  }
  return "?";
}

namespace {

const auto kIcase = std::regex::ECMAScript | std::regex::icase;

// The vocabulary the grammars below are built from.
const std::string kNum = R"((?:\d+(?:[.,]\d+)*))";
const std::string kNumWord =
    "(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    "hundred|thousand)";
// Nouns naming what a performance claim is about.
const std::string kPerf =
    "(?:speeds?|throughput|tok/s|tokens per second|latency|latencies|decod(?:e|ing)|generation|prefill|"
    "prompt processing|inference|memory|ram|vram|footprint|sizes?|perplexity|ppl|quality|accuracy|kld|"
    "bandwidth|compression|performance|efficiency|caches?)";
const std::string kSpeedUnit =
    R"((?:tok(?:en)?s?\s?/\s?s(?:ec)?|t/s|tps|tokens?\s+(?:per|a|each)\s+second|ms\s?/\s?tok(?:en)?|ms per token|)"
    R"([mµu]?s per token|[GT]FLOP/?s|[GT]FLOPS|[KMGT]i?B/s|it/s))";
const std::string kSizeUnit = R"((?:[KMGT]i?B|kB|bytes?))";

struct Pattern {
  ClaimKind kind;
  std::regex re;
  int group = 0;  // the sub-match that is the phrase
};

void add(std::vector<Pattern>& p, ClaimKind k, const std::string& re) { p.push_back({k, std::regex(re, kIcase)}); }

// Claims about quality and cost: lossless, hedged.
void add_quality_patterns(std::vector<Pattern>& p) {
  using K = ClaimKind;
  add(p, K::lossless, R"(\blossless\b|\bno (?:quality |accuracy )?loss\b|\bwithout (?:any )?(?:quality |accuracy )?loss\b|)"
                   R"(\bzero (?:quality |accuracy )?loss\b|\bloss-?free\b|)"
                   R"(\b(?:no|zero|without(?: any)?) (?:quality |accuracy |perplexity )?(?:degradation|drop in quality)\b|)"
                   R"(\b(?:keeps?|kept|preserves?|preserved|retains?|retained|maintains?|maintained) (?:\w+ ){0,2}?)"
                   R"((?:quality|accuracy|perplexity|fidelity)\b|)"
                   R"(\b(?:quality|accuracy|perplexity|fidelity) (?:is|are|stays?|remains?) (?:\w+ )?)"
                   R"((?:preserved|intact|retained|kept|maintained)\b)");
  add(p, K::hedged, R"(\b(?:near|nearly|virtually|almost|practically|essentially|quasi)[- ]lossless\b|\bnegligibl[ey]\b|)"
                 R"(\bimperceptibl[ey]\b|\bunnoticeabl[ey]\b|\binsignificant\b|\bun(?:measurabl|detectabl)[ey]\b|)"
                 R"(\b(?:almost|nearly|virtually|practically|essentially|basically|effectively) free\b|)"
                 R"(\bby (?:only |just )?(?:a hair|a whisker|a hair's breadth|a nose)\b|)"
                 R"(\b(?:not|never|n't|nobody will|no one will) (?:\w+ )?notice (?:any |a |the )?)"
                 R"((?:difference|change|slowdown|loss|drop|degradation|penalty)\b|\bno (?:real |practical )?downsides?\b|)"
                 R"(\b(?:very|extremely|incredibly|super|really|highly|insanely|remarkably|exceptionally|impressively|)"
                 R"(amazingly|wickedly|seriously) (?:fast|quick|efficient|optimi[sz]ed|accurate|compact|lean|performant|tuned)\b|)"
                 R"(\bperformant\b|\btrades? (?:a little|little|some|a bit of|a sliver of) \w+ for\b|)"
                 R"(\b(?:barely|hardly|scarcely) \w+(?: \w+)? )" + kPerf + R"(\b|\ba mere\b|\bby (?:only |just |merely )[+\-]?\d|)"
                 R"(\bpays? for (?:itself|themselves)\b|\b(?:dramatically|drastically|massively|hugely|tremendously|vastly)\b|)"
                 R"(\badds? (?:no|zero|little|hardly any|barely any) (?:extra |additional |measurable )?)"
                 R"((?:latency|overhead|time|cost|slowdown|delay|memory|error)\b|\bin (?:a|the) blink\b|\bin no time\b|)"
                 R"(\bno (?:\w+ )?(?:penalty|overhead|slowdown|downside) (?:for|to|from|when|in|with)\b|)"
                 R"(\b(?:no|without(?: any)?|zero) (?:measurable|noticeable|perceptible|visible|significant|meaningful|)"
                 R"(appreciable|discernible|detectable|real|material) \w+|)"
                 R"(\b(?:almost|nearly|virtually|practically) (?:no|zero|nothing|none)\b|)"
                 R"(\b(?:barely|hardly) (?:any|measurable|noticeable|changes?|moves?|affects?|slower|different|worse)\b|)"
                 R"(\b(?:minimal|minor|marginal|tiny|slight|modest) (?:quality |accuracy |perplexity |speed )?)"
                 R"((?:loss|degradation|drop|hit|penalty|impact|cost|overhead|slowdown)\b|\bfor free\b|\bfree lunch\b|)"
                 R"(\bat no (?:cost|loss)\b|)"
                 R"(\bcost(?:s|ing)? (?:(?:essentially|virtually|practically|almost|basically|next to|close to) )?)"
                 R"((?:nothing|zero)\b|\bnext to nothing\b|\bwithin (?:the )?(?:noise|measurement error|error bars?|run-to-run noise)\b)");
}

// Comparisons: better or worse than, on par with.
void add_comparison_patterns(std::vector<Pattern>& p) {
  using K = ClaimKind;
  add(p, K::comparative,
      R"(\b(?:faster|quicker|speedier|snappier|zippier|slower|leaner|cheaper|)"
      R"(more (?:accurate|efficient|compact|precise|faithful|responsive))(?: than)?\b|)"
      R"(\bscales? (?:linearly|perfectly|nearly linearly|almost linearly|well)\b|\blinear scaling\b|)"
      R"(\bimprov(?:es|ed|ing) (?:up)?on\b|)"
      R"(\b(?:loses|lose|costs?|uses?|needs?|takes?|reads?|stores?|spends?|wastes?) (?:far |much |even |slightly |a lot |a bit )?)"
      R"((?:less|more|fewer)(?!\s+than\s+\d)(?: \w+){0,3}? than\b(?!\s+\d)|)"
      R"(\bsaturat(?:e|es|ed|ing) (?:the )?(?:memory )?(?:bus|bandwidth|memory bandwidth|cores?|cpu)\b|)"
      R"(\b(?:smaller|better|worse|lighter|heavier)\s+(?:\w+\s+){0,2}?than\b|)"
      R"(\b(?:big|bigger|huge|large|massive|major|significant|substantial|dramatic|considerable|noticeable|solid|)"
      R"(impressive|sizable|sizeable) (?:speed[- ]?ups?|gains?|improvements?|savings?|wins?|boosts?|reductions?)\b|)"
      R"(\b(?:smaller|larger|bigger|better|worse|lighter|less|fewer|more|lower|higher|greater|improved|reduced))"
      R"(\s+(?:kv\s+)?)" + kPerf + R"(\b|)"
      R"(\b(?:speed[- ]?ups?|speeds? up|sped up|boost(?:s|ed)?|improv(?:es|ed|ement|ing)|gains?|sav(?:es|ed|ings?)|)"
      R"(reduc(?:es|ed|tion)|shrinks?|shrank|cuts?|lowers|raises|accelerat(?:es|ed|ion)|slash(?:es|ed)?|trims?|trimmed|)"
      R"(eas(?:es|ed)|eliminat(?:es|ed))\s+(?:\w+\s+){0,2}?)" + kPerf +
          R"(\b)");
  add(p, K::parity,
      R"(\b(?:on|at) (?:a )?par with\b|\bneck[- ]and[- ]neck\b|\bequivalent (?:speed|quality|accuracy|perplexity|performance)\b|\bparity with\b|\b(?:speed|quality|accuracy|performance) parity\b|)"
      R"(\bas (?:fast|quick|speedy|good|accurate|small|compact|efficient|lean|light|cheap|precise) as\b|)"
      R"(\b(?:the )?same (?:speed|quality|accuracy|perplexity|ppl|throughput|performance|latency)\b|)"
      R"(\b(?:the )?same (?:memory|footprint) (?:as|of)\b|)"
      R"(\b(?:virtually|practically|essentially|effectively|nearly|near|almost|basically|functionally|statistically)[- ])"
      R"((?:identical|the same|indistinguishable|equal|equivalent|unchanged)\b|\bindistinguishable from\b|)"
      R"(\bidentical (?:speed|quality|accuracy|perplexity|ppl|throughput|performance|tok/s)\b|)"
      R"(\b(?:close|closer|similar|comparable|equal) to (?:an? |the )?(?:fp32|fp16|f16|f32|uncompressed|full[- ]precision|)"
      R"(llama\.cpp|q\d_\d|\w+_kv_\w+|uniform_4b)\b|\b(?:clos|narrow)(?:es|ed|ing|e)? the gap\b|)"
      R"(\b(?:makes?|made|shows?|showed|is|there is|with) no (?:\w+ )?difference\b|\bno (?:\w+ )?difference (?:to|in|for|on)\b|)"
      R"(\b(?:get|gets|give|gives|deliver|delivers|keep|keeps|retain|retains|offer|offers|reach|reaches|achieve|achieves|)"
      R"(provide|provides|with)\s+(?:\w+\s+)?(?:fp32|fp16|f32|f16|full[- ]precision|uncompressed)[- ](?:level )?)"
      R"((?:quality|accuracy|perplexity|speed|fidelity)\b|)"
      R"(\b(?:just|exactly) like (?:an? |the )?(?:fp32|fp16|f32|f16|uncompressed|full[- ]precision|llama\.cpp)\b|)"
      R"(\bholds? (?:its|their) own\b|\b(?:in )?the same (?:ballpark|league|class) as\b|\bties? (?:on|with)\b|)"
      R"(\b(?:fp32|fp16|f16|f32|full[- ]precision|uncompressed|llama\.cpp)[- ](?:level|class|grade|like|equivalent)\b|)"
      R"(\b)" + kPerf + R"(\b(?:\s+\w+){0,3}?\s+(?:is|are|was|were|stays?|remains?)\s+(?:\w+\s+)?)"
      R"((?:unaffected|unchanged|undiminished|unimpaired|untouched|intact)\b|)"
      R"(\bno (?:slower|worse|less accurate) than\b|\b(?:does not|doesn't|do not|don't|won't|will not|never) )"
      R"((?:slow(?:s)?(?: down)?|hurt|degrade|harm|reduce|affect|lower|worsen)\s+(?:\w+\s+){0,2}?)" + kPerf + R"(\b|)"
      R"(\bkeeps? (?:pace|up) with\b|\bcomparable (?:to|with|speed|quality|accuracy|perplexity|throughput|performance)\b|)"
      R"(\bno (?:speed|quality|accuracy|throughput|performance|perplexity) (?:penalty|difference|cost|hit|loss|trade-?offs?|)"
      R"(degradation|drop|impact|regression)\b|)"
      R"(\b(?:match(?:es|ed|ing)?|equals?|equall?ed|rivals?|rivall?ed|tracks)\s+(?:\S+\s+){0,3}?)" + kPerf + R"(\b|)"
      R"(\b(?:match(?:es|ed|ing)?|rivals?|equals)\s+(?:the\s+)?(?:fp32|fp16|f32|f16|uncompressed|full[- ]precision|)"
      R"(baseline|unquantized|float)\b(?!'s?\s+(?:layout|bytes|block|format|rounding))(?!\s+(?:layout|bytes|block|format|rounding|bit)))");
}

// Rankings: the best, beating the others.
void add_ranking_patterns(std::vector<Pattern>& p) {
  using K = ClaimKind;
  add(p, K::superlative,
      R"(\b(?:the )?(?:fastest|quickest|speediest|leanest|cheapest|most (?:accurate|efficient|compact|precise|memory[- ]efficient)|)"
      R"(least (?:memory|lossy)|lowest (?:perplexity|ppl|kld|latency|memory|error|loss|footprint|overhead)|)"
      R"(highest (?:throughput|quality|accuracy|compression|speed|tok/s|performance))\b|)"
      R"(\b(?:the )?(?:best|smallest|lightest)\b(?![- ]of\b| practice| effort|[- ]effort|)"
      R"(\s+(?:supported\s+|possible\s+|allowed\s+)?(?:head|block|dim|dimension|unit|value|index|element|integer|k|n|)"
      R"(power|multiple|number|batch|chunk|offset|step|level|code)s?\b)|)"
      R"(\bstate[- ]of[- ]the[- ]art\b|\bsota\b|\bbest[- ]in[- ]class\b|\b(?:industry|market)[- ]leading\b|)"
      R"(\bun(?:matched|beatable|rivall?ed|paralle?led|surpassed)\b|\bsecond (?:to none|only to)\b|\bnumber one\b|)"
      R"(\b(?:sets?|setting|raises?|raising) (?:a |the )?(?:new )?(?:bar|record|standard|benchmark)\b|\bas good as it gets\b|)"
      R"(\b(?:is|are|was|were|stays?|remains?|feels?|runs?|looks?|becomes?|gets?|got)\s+(?:\w+\s+){0,2}?)"
      R"((?:fast|quick|speedy|efficient|accurate|precise|competitive|excellent|great|superior|inferior|optimal|ideal|)"
      R"(snappy|responsive|production[- ]ready|cheap|tiny|lean|slow|sluggish)\b(?![- ](?:path|math|enough|as|than))|)"
      R"(\bblazing(?:ly)?[- ]fast\b|\blightning[- ]fast\b|\bworld[- ]class\b|\bbest[- ]ever\b)");
  add(p, K::winning,
      R"(\b(?:beats?|beating|outperform(?:s|ed|ing)?|outpac(?:es|ed|ing|e)|outrun(?:s)?|outstrip(?:s|ped)?|outdoes|)"
      R"(outshin(?:es|e|ed|ing)|win (?:over|against)|runs? (?:rings|circles) around|pull(?:s|ed|ing)? away from|)"
      R"(outclass(?:es|ed)?|edges? out|edged out|leads(?! to\b)|tops(?! of\b| out\b)|topped|surpass(?:es|ed)?|overtak(?:es|en)|)"
      R"(eclips(?:es|ed)|trounc(?:es|ed)|crush(?:es|ed)|dominat(?:es|ed)|leapfrogs?|bests|wins|winners?|pulls? ahead|)"
      R"(comes? out ahead|(?:is|are|was|were|stays?|stayed|runs?|ran|well|far|way|clearly|comfortably) ahead of|)"
      R"(never (?:(?:loses|lost) to|trails?|trailed|falls? behind|fell behind|lags? behind)|)"
      R"((?:leaves?|left|leaving) (?:\S+ ){0,2}?(?:llama\.cpp|fp16|fp32|f16|f32|q\d_\d|the competition|competitors|)"
      R"(rivals|(?:the )?others|\w+'s \w+)(?: \w+)? (?:far |well |way )?(?:behind|in the dust))\b)");
}

// Numbers: factors, percentages, figures, context lengths.
void add_number_patterns(std::vector<Pattern>& p) {
  using K = ClaimKind;
  add(p, K::factor, R"((?:^|[^\w.])()" + kNum + R"(\s?(?:x|×)(?![\w])(?!\s*\d)|)" + kNum +
                     R"(\s+times\s+(?:more|less|fewer|faster|slower|smaller|larger|bigger|higher|lower|better|worse|)"
                     R"(cheaper|quicker|as|the|over|that)|\b)" + kNumWord +
                     R"(\s+times\s+(?:more|less|fewer|faster|slower|smaller|larger|bigger|higher|lower|better|worse|)"
                     R"(cheaper|quicker|as|the|over|that)\b)|\b((?:)" + kNum + "|" + kNumWord +
                     R"()[- ]?fold)\b|\b(?:twice|thrice|half) (?:as|the|that|its|their)\b|)"
                     R"(\b(?:a|one|two)[- ](?:half|third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)s? (?:of )?(?:the|its|their|our|a|an|)"
                     R"(fp32|fp16|what|memory|ram|size|speed)\b|\border(?:s)? of magnitude\b|\b(?:in|by) half\b(?![- ](?:precision|float|width))|)"
                     R"(\bby (?:a|one|two)[- ](?:third|quarter|fifth)s?\b|)"
                     R"(\b(?:a )?factor of (?:)" + kNum + "|" + kNumWord + R"()\b|)"
                     R"(\b(?:compress\w*|shrinks?|shrunk|reduc\w*|cuts?)\s+(?:\w+\s+){0,3}?(?:by\s+)?(?:)" + kNum + "|" +
                     kNumWord + R"()\s+times\b|)"
                     R"(\b(?:uses?|used|needs?|needed|takes?|took|costs?|requires?|consumes?|in|at|for|with|only|just) )"
                     R"((?:just |only )?(?:a )?(?:small |tiny )?fraction of (?:the|its|their|what)\b|\bby\s+)" + kNum + R"(\s+times\b)");
  add(p, K::percentage, R"(([+\-−±~≈]?\s?)" + kNum +
                         R"(\s?(?:%|percent\b|per cent\b|percentage points?\b))(?!\s*(?:confidence|interval|ci\b|)"
                         R"(credible|quantiles?|percentiles?|significance|thresholds?|level|bootstrap|two-sided)))");
  add(p, K::percentage, R"(\b(?:a|one|half a|a half|a few|a couple of|several|)" + kNumWord.substr(3, kNumWord.size() - 4) +
                         R"() (?:percent|per cent|percentage points?)\b(?!\s+(?:signs?|symbols?|characters?|escapes?|encod\w*)))");
  add(p, K::figure, R"((?:^|[^\w.\-])([+\-−~≈]?)" + kNum + R"((?:\s?(?:-|–|to)\s?)" + kNum + R"()?\s?)" + kSpeedUnit +
                     R"()(?![\w]))");
  add(p, K::figure, R"(\b(?:perplexity|ppl|kld|kl[- ]divergence|top-1(?: agreement)?|accuracy)\b(?:\s+[\w'’]+){0,4}?\s*)"
                 R"((?:[:=≈~]|of|at)?\s*[+\-−]?\s?\d+\.\d+\b(?!\s*(?:tokens?|chunks?|runs?|%)))");
  add(p, K::figure, R"((?:^|[^\w.])(\d+\.\d+\s?(?:ppl|perplexity|kld)\b))");
  add(p, K::figure, R"(\b(?:tok/s|tokens per second|throughput|latency|memory use|memory usage|peak rss|rss)\b)"
                 R"((?:\s+(?:jumped|rose|grew|climbed|went|reached|reaches|fell|dropped|drops|is|was|stays|stayed|sits|)"
                 R"(moved|moves|goes|improved|increased|decreased|up|down|now|from|to|of|at|by|around|about|only|just)){1,4})"
                 R"(\s*[:=≈~]?\s*\d+(?:\.\d+)?\b)");
  add(p, K::context, R"(\b(\d+(?:\.\d+)?\s?[km](?![\w])[- ]?(?:tokens?[- ]?|-token )?(?:of )?(?:context|ctx)\b)|)"
                  R"(\b((?:\d{4,}|\d{1,3}(?:,\d{3})+)[- ]?tokens?[- ]?(?:of )?context\b)|)"
                  R"(\b(context(?:(?: window| length| size)\s+(?:of\s+)?|\s+of\s+|\s+up to\s+)(?:up to\s+)?(?:\d+\s?[km]\b|\d{4,}|\d{1,3},\d{3}))|)"
                  R"(\bmillion[- ]token\b)");
}

std::vector<Pattern> make_patterns() {
  std::vector<Pattern> p;
  add_quality_patterns(p);
  add_comparison_patterns(p);
  add_ranking_patterns(p);
  add_number_patterns(p);
  return p;
}

const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> p = make_patterns();
  return p;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim_phrase(std::string s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == '(' || s.front() == ','))
    s.erase(s.begin());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// "halves", "doubles" and the like are claims as verbs ("halves the memory", "memory is halved"), not as
// nouns ("two halves of 16", "stored as doubles").
void find_multiplier_verbs(const std::string& s, std::vector<ClaimFinding>& out) {
  static const std::regex verb(R"(\b(halve[sd]?|halving|double[sd]|doubling|triple[sd]|tripling|quadruple[sd]|quadrupling)\b)",
                               kIcase);
  static const std::regex before_verb(R"(\b(is|are|was|were|be|been|being|gets?|got|has|have|nearly|almost|roughly|more than|)"
                                      R"(which|that|it|this|[a-z0-9_]+_kv_\w+|q\d_\d|fp16|fp32|speed|throughput|memory|size|footprint|)"
                                      R"(bandwidth|performance|tok/s|usage|use|compression|capacity|context)\s*$)",
                                      kIcase);
  static const std::regex after_verb(R"(^\s+(the|its|their|our|your|a|an|kv|memory|ram|speed|throughput|size|footprint|)"
                                     R"(capacity|context|cache|bandwidth|compression|generation|decode|decoding|prefill|)"
                                     R"(performance|tok/s|tokens)\b)",
                                     kIcase);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), verb); it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position(0));
    const std::string head = s.substr(0, at), tail = s.substr(at + it->length(0));
    if (std::regex_search(tail, after_verb) || std::regex_search(head, before_verb))
      out.push_back({ClaimKind::factor, it->str(), at});
  }
}

// Sizes are claims when measured ("2.1 GB", "needs 600 MB"), not when they describe a layout or a
// setting ("16-byte loads", "4 KiB pages", "a read pass over 256 MiB").
void find_sizes(const std::string& s, std::vector<ClaimFinding>& out) {
  static const std::regex size(R"((?:^|[^\w.\-])(\d+(?:[.,]\d+)?)\s?)" + kSizeUnit + R"((?![\w/-]))", kIcase);
  static const std::regex setting_after(R"(^\s*(pages?|loads?|stores?|reads?|writes?|aligned|alignment|chunks?|blocks?|)"
                                        R"(boundar(y|ies)|lines?|granularity|words?|pass|registers?|vectors?|each|per|apart)\b)",
                                        kIcase);
  static const std::regex measured_before(R"(\b(uses?|using|used|needs?|needed|takes?|took|occup(y|ies|ied)|fits?|footprint|)"
                                          R"(memory|ram|vram|only|just|down to|saves?|saved|saving|reduc\w*|peak|resident|)"
                                          R"(weighs?|shrinks?|shrank|requires?|consumes?|consumed|costs?|from|under|below|)"
                                          R"(less than|at most|about|around|roughly|~)\W*(\w+\W+){0,3}$)",
                                          kIcase);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), size); it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position(1));
    const std::string number = (*it)[1].str();
    const std::string head = s.substr(0, at), tail = s.substr(static_cast<size_t>(it->position(0) + it->length(0)));
    if (std::regex_search(tail, setting_after)) continue;
    const bool decimal = number.find('.') != std::string::npos;
    if (decimal || std::regex_search(head.substr(head.size() > 60 ? head.size() - 60 : 0), measured_before))
      out.push_back({ClaimKind::figure, trim_phrase(s.substr(at, static_cast<size_t>(it->position(0) + it->length(0)) - at)), at});
  }
}

}  // namespace

std::vector<ClaimFinding> claim_findings(const std::string& sentence) {
  std::vector<ClaimFinding> out;
  for (const Pattern& p : patterns())
    for (auto it = std::sregex_iterator(sentence.begin(), sentence.end(), p.re); it != std::sregex_iterator(); ++it) {
      int g = 0;
      for (size_t i = 1; i < it->size(); ++i)
        if ((*it)[i].matched && (*it)[i].length() > 0) {
          g = static_cast<int>(i);
          break;
        }
      // Patterns whose first group is a leading boundary report the rest of the match.
      const std::string whole = it->str();
      const std::string phrase = trim_phrase(g && p.kind != ClaimKind::percentage && p.kind != ClaimKind::figure
                                                 ? (*it)[g].str()
                                                 : whole);
      if (phrase.empty()) continue;
      out.push_back({p.kind, phrase, static_cast<size_t>(it->position(0))});
    }
  find_multiplier_verbs(sentence, out);
  find_sizes(sentence, out);
  std::stable_sort(out.begin(), out.end(), [](const ClaimFinding& a, const ClaimFinding& b) { return a.pos < b.pos; });
  return out;
}

double spelled_factor(const std::string& phrase) {
  static const std::map<std::string, double> words = {
      {"one", 1},     {"two", 2},       {"three", 3},   {"four", 4},    {"five", 5},     {"six", 6},     {"seven", 7},
      {"eight", 8},   {"nine", 9},      {"ten", 10},    {"eleven", 11}, {"twelve", 12},  {"fifteen", 15}, {"twenty", 20},
      {"thirty", 30}, {"forty", 40},    {"fifty", 50},  {"hundred", 100}, {"thousand", 1000}, {"twice", 2},
      {"thrice", 3},  {"half", 2},      {"halves", 2},  {"halved", 2},  {"halve", 2},    {"halving", 2}, {"doubles", 2},
      {"doubled", 2}, {"doubling", 2},  {"triples", 3}, {"tripled", 3}, {"tripling", 3}, {"quadruples", 4},
      {"quadrupled", 4}, {"quadrupling", 4}, {"third", 3}, {"thirds", 3}, {"quarter", 4}, {"fifth", 5}, {"tenth", 10}};
  const std::string p = lower(phrase);
  static const std::regex fold(R"((\d+(?:\.\d+)?)[- ]?fold)");
  std::smatch m;
  if (std::regex_search(p, m, fold)) return std::stod(m[1].str());
  static const std::regex word(R"([a-z]+)");
  double found = 0;
  for (auto it = std::sregex_iterator(p.begin(), p.end(), word); it != std::sregex_iterator(); ++it) {
    const auto w = words.find(it->str());
    if (w != words.end() && w->first != "one" && w->first != "two") return w->second;
    if (w != words.end() && found == 0 && p.find("fold") != std::string::npos) found = w->second;
  }
  return found;
}

std::string normalise_percent_words(const std::string& s) {
  static const std::regex re(R"((\d+(?:\.\d+)?)\s*(?:percent|per cent)\b)", kIcase);
  return std::regex_replace(s, re, "$1%");
}

std::vector<std::string> numeric_cells(const std::string& row) {
  static const std::regex num_cell(
      R"(^[~≈<>≤≥+\-−±]*\s*\d[\d.,]*\s*(?:%|x|×|[kmgt]i?b|bytes?|tok/s|gb/s|ms|s|k|m|pp)?)"
      R"((?:\s*(?:/|–|-|,|vs\.?|->|→|to)\s*[~≈+\-−]*\s*\d[\d.,]*\s*(?:%|x|×|[kmgt]i?b|bytes?|tok/s|gb/s|ms|s|k|m|pp)?)*)"
      R"(\s*(?:\[[^\]]*\]|\([^)]*\))?\s*$)",
      kIcase);
  std::vector<std::string> cells;
  std::string s = row;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s.empty() || s[0] != '|') return cells;
  size_t start = 1;
  for (size_t i = 1; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != '|') continue;
    std::string cell = trim_phrase(s.substr(start, i - start));
    for (char& c : cell)
      if (c == '*') c = ' ';
    cell = trim_phrase(cell);
    if (!cell.empty() && std::regex_match(cell, num_cell)) cells.push_back(cell);
    start = i + 1;
  }
  return cells;
}

bool not_a_claim_escape(const std::string& text, std::string& reason) {
  static const std::regex re(R"(<!--\s*not-a-claim\s*:?((?:(?!-->)[\s\S])*?)\s*-->)", kIcase);
  std::smatch m;
  if (!std::regex_search(text, m, re)) return false;
  reason = trim_phrase(m[1].str());
  return true;
}

}  // namespace quant::harness
