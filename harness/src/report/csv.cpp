#include "harness/report/csv.h"

#include <sstream>

#include "harness/stats/format.h"

namespace quant::harness {

namespace {

std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) { return fmt("%.10g", v); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

double kv_value(const CellResult& c, const char* key) {
  if (!c.engine.contains("kv")) return 0;
  const auto& kv = c.engine["kv"];
  if (kv.contains(key)) return kv[key].get<double>();
  if (kv.contains("compression") && kv["compression"].contains(key)) return kv["compression"][key].get<double>();
  return 0;
}

}  // namespace

std::string measures_csv(const Results& r, const Analysis& a) {
  std::ostringstream o;
  o << "cell,variant,default_variant,model,synthetic,metric,k_type,v_type,text,ctx,n_prompt,n_gen,depth,threads,status,"
       "measure,n,median,mean,sd,cv,min,max,ci_low,ci_high,uncertainty,k_bits_per_element,v_bits_per_element,"
       "kv_bytes_per_token,kv_vs_fp16,kv_vs_fp32,vs_fp32_ratio,vs_fp32_low,vs_fp32_high,flags\n";
  for (const auto& c : r.cells) {
    const Cell& x = c.cell;
    const Resource* m = r.inputs.model(x.model);
    const VariantResult* v = r.variant(x.variant);
    auto prefix = [&] {
      std::ostringstream p;
      p << field(x.id) << "," << x.variant << "," << (v && v->variant.is_default) << "," << field(x.model) << ","
        << (m && m->synthetic) << "," << metric_name(x.metric) << "," << x.kv.k << "," << x.kv.v << "," << field(x.text)
        << "," << x.ctx << "," << x.n_prompt << "," << x.n_gen << "," << x.depth << "," << x.threads << "," << c.status;
      return p.str();
    };
    const auto measures = measures_of(x);
    bool any = false;
    for (const auto& name : measures) {
      const MeasureStats* s = a.find(x.id, name);
      if (!s) continue;
      any = true;
      const Comparison* cmp = a.compare("kv_vs_fp32", x.id, name);
      o << prefix() << "," << name << "," << s->summary.n << "," << num(s->summary.median) << "," << num(s->summary.mean)
        << "," << num(s->summary.sd) << "," << num(s->summary.cv) << "," << num(s->summary.min) << ","
        << num(s->summary.max) << "," << (s->has_ci ? num(s->ci.lo) : "") << "," << (s->has_ci ? num(s->ci.hi) : "")
        << "," << (s->uncertainty > 0 ? num(s->uncertainty) : "") << "," << num(kv_value(c, "k_bits_per_element"))
        << "," << num(kv_value(c, "v_bits_per_element")) << ","
        << num(kv_value(c, "k_bytes_per_token") + kv_value(c, "v_bytes_per_token")) << ","
        << num(kv_value(c, "kv_vs_fp16")) << "," << num(kv_value(c, "kv_vs_fp32")) << ","
        << (cmp ? num(cmp->ratio) : "") << "," << (cmp ? num(cmp->ci.lo) : "") << "," << (cmp ? num(cmp->ci.hi) : "")
        << "," << field(join(s->flags)) << "\n";
    }
    if (!any) o << prefix() << ",,,,,,,,,,,,,,,,,,,,," << field(c.reason) << "\n";
  }
  return o.str();
}

std::string comparisons_csv(const Results& r, const Analysis& a) {
  std::ostringstream o;
  o << "kind,cell,reference,measure,ratio,ci_low,ci_high,verdict,flags\n";
  for (const auto& c : a.comparisons)
    o << c.kind << "," << field(c.cell) << "," << field(c.reference) << "," << c.measure << "," << num(c.ratio) << ","
      << num(c.ci.lo) << "," << num(c.ci.hi) << "," << c.verdict << "," << field(join(c.flags)) << "\n";
  return o.str();
}

std::string samples_csv(const Results& r) {
  std::ostringstream o;
  o << "cell,run,warmup,status,measure,value\n";
  for (const auto& c : r.cells)
    for (const auto& run : c.runs) {
      if (!run.ok()) {
        o << field(c.cell.id) << "," << run.index << "," << run.warmup << "," << run.status << ",,\n";
        continue;
      }
      const auto& s = run.sample;
      auto row = [&](const std::string& m, double v) {
        o << field(c.cell.id) << "," << run.index << "," << run.warmup << ",ok," << m << "," << num(v) << "\n";
      };
      for (const char* m : {"pp_tok_s", "tg_tok_s"})
        if (s.contains(m))
          for (const auto& v : s[m]) row(m, v.get<double>());
      if (s.contains("ppl")) {
        row("ppl", s["ppl"].get<double>());
        row("ppl_uncertainty", s["ppl_uncertainty"].get<double>());
      }
      if (s.contains("kld"))
        for (const auto& [k, v] : s["kld"].items())
          if (v.is_number()) row(k, v.get<double>());  // the checked figures; other fields pass unread
    }
  return o.str();
}

}  // namespace quant::harness
