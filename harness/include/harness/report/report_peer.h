#pragma once
// The report's view of peer engines (variant kind "llama.cpp"): the "vs <peer>" column of the KV table,
// a per-model table of quant's default build against each peer (ratio of medians with a bootstrap
// interval), the PPL cross-check, and the peer's provenance line.
#include <string>
#include <vector>

#include "harness/stats/analysis.h"
#include "harness/store/results.h"

namespace quant::harness {

// Peer variants with at least one cell of `model`, in results order.
std::vector<std::string> peers_of_model(const Results& r, const std::string& model);

// The "vs <peer>" cell of the KV table for the default build's cell `quant_cell` (may be null):
// "1.23x [1.10, 1.40]" (quant / peer), or why there is no ratio ("unsupported by llama.cpp", ...).
std::string vs_peer_text(const Results& r, const Analysis& a, const CellResult* quant_cell, const std::string& peer,
                         const std::string& measure);

// "### quant vs <peer>" for one model: every speed cell both measured, then the PPL cross-check.
std::string render_peer_section(const Results& r, const Analysis& a, const std::string& model, const std::string& peer,
                                const std::string& heading);

// The provenance line of a peer variant (binaries, sha256, version, README, flags).
std::string peer_engine_line(const Results& r, const VariantResult& v);

// "unsupported by llama.cpp" / "unsupported: not installed" from a cell's longer reason.
std::string short_unsupported(const std::string& reason);

}  // namespace quant::harness
