#pragma once
// `bench-all history add|import|show|changes|html`: the results of every measured commit in one SQLite
// file, their series, change points and a static dashboard; and `bench-all pr-comment`, the short
// answer on a pull request. Exit codes: 0 done, 1 an error (or, for `changes`, a regression newer than
// --since), 2 bad command line.
#include <memory>

#include "commands.h"

namespace CLI {
class App;
}

namespace quant::harness::cli {

struct HistoryCommands;
std::shared_ptr<HistoryCommands> add_history_commands(CLI::App& app);
// -1 when no history subcommand was chosen.
int run_history_command(const HistoryCommands& h, const Common& c);

}  // namespace quant::harness::cli
