#include <cstdio>
#include <fstream>
#include <sstream>

#include "context.h"
#include "modes.h"
#include "quant/error.h"
#include "report.h"

namespace quant::cli {

namespace {

std::vector<int> parse_ids(const std::string& s) {
  std::vector<int> ids;
  std::istringstream in(s);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = -1;
    try { v = std::stoll(word, &used); } catch (const std::exception&) { used = 0; }
    if (used != word.size() || v < 0 || v > (1 << 30))
      throw InputError("--tokens: '" + word + "' is not a token id", 2);
    ids.push_back(static_cast<int>(v));
  }
  if (ids.empty()) throw InputError("--tokens: no token ids given", 2);
  return ids;
}

// int32 n_tokens, int32 n_vocab, int32 ids[n], float32 logits[n][n_vocab]; written via a temp file.
void write_logits(const std::string& path, const std::vector<int>& ids, int n_vocab, const std::vector<float>& logits) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw InputError("--logits-out " + path + ": cannot create file");
    int32_t hdr[2] = {static_cast<int32_t>(ids.size()), n_vocab};
    f.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
    std::vector<int32_t> ids32(ids.begin(), ids.end());
    f.write(reinterpret_cast<const char*>(ids32.data()), static_cast<std::streamsize>(ids32.size() * 4));
    f.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size() * 4));
    if (!f) { std::remove(tmp.c_str()); throw InputError("--logits-out " + path + ": write failed"); }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError("--logits-out " + path + ": cannot move the file into place");
  }
}

}  // namespace

int run_logits(const Options& o) {
  std::vector<int> ids = parse_ids(o.tokens);
  Context ctx(o);
  const int n_vocab = ctx.model->config().n_vocab;
  for (int id : ids)
    if (id >= n_vocab)
      throw InputError("--tokens: id " + std::to_string(id) + " outside the vocabulary (0.." +
                       std::to_string(n_vocab - 1) + ")", 2);
  const int n = static_cast<int>(ids.size());
  auto session = ctx.session(o, std::max(o.n_ctx, n), o.k_type, o.v_type);
  std::vector<float> logits(static_cast<size_t>(n) * n_vocab);
  session->eval(ids.data(), n, logits.data(), true);
  if (!o.logits_out.empty()) write_logits(o.logits_out, ids, n_vocab, logits);
  if (o.json) {
    nlohmann::json j = base_report(o, "logits");
    add_model(j, o, *ctx.model);
    add_backend(j, ctx.backend_requested, *ctx.backend);
    add_kv(j, *session);
    std::vector<int> argmax(n);
    for (int t = 0; t < n; ++t) {
      const float* row = &logits[static_cast<size_t>(t) * n_vocab];
      argmax[t] = static_cast<int>(std::max_element(row, row + n_vocab) - row);
    }
    j["logits"] = {{"n_tokens", n}, {"n_vocab", n_vocab}, {"tokens", ids}, {"argmax", argmax},
                   {"file", o.logits_out}};
    emit_json(j);
  } else if (o.logits_out.empty()) {
    const float* last = &logits[static_cast<size_t>(n - 1) * n_vocab];
    std::printf("next token after %d ids: %d\n", n, static_cast<int>(std::max_element(last, last + n_vocab) - last));
  }
  return 0;
}

}  // namespace quant::cli
