// The order each kind of sweep asks for runs (run_plan.h), and which planned runs the loop passes over.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/sweep/run_plan.h"

namespace quant::harness {
namespace {

CellResult cell_with_runs(const std::string& id, int runs) {
  CellResult c;
  c.cell.id = id;
  c.cell.reps = runs;
  return c;
}

RunRecord run(const std::string& status) {
  RunRecord r;
  r.status = status;
  return r;
}

// "arm:cell:index" for each planned run, in order.
std::string order_of(const RunPlan& plan) {
  std::string s;
  for (const auto& r : plan) s += std::to_string(r.arm) + ":" + std::to_string(r.cell) + ":" + std::to_string(r.index) + " ";
  return s;
}

TEST(RunPlan, ASweepRunsRoundRobinAcrossCells) {
  const std::vector<CellResult> cells = {cell_with_runs("a", 2), cell_with_runs("b", 3)};
  EXPECT_EQ(order_of(round_robin_plan(cells)), "0:0:0 0:1:0 0:0:1 0:1:1 0:1:2 ");
}

TEST(RunPlan, AnABRunAlternatesTheArmsPairByPair) {
  const std::vector<CellResult> cells = {cell_with_runs("a", 3)};
  EXPECT_EQ(order_of(paired_plan(cells)), "0:0:0 1:0:0 1:0:1 0:0:1 0:0:2 1:0:2 ");
}

TEST(RunPlan, TheCursorSkipsCellsThatWillNotRunFailedOrAlreadyHoldTheRun) {
  std::vector<CellResult> cells = {cell_with_runs("missing", 2), cell_with_runs("failed", 2),
                                   cell_with_runs("resumed", 2)};
  cells[0].status = "missing";
  cells[1].runs.push_back(run("error"));
  cells[2].runs.push_back(run("ok"));  // a journaled run
  const RunPlan plan = round_robin_plan(cells);
  PlanCursor cursor(plan, {&cells});
  const auto next = cursor.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->cell, 2u);
  EXPECT_EQ(next->index, 1);
  EXPECT_FALSE(cursor.next());
}

TEST(RunPlan, AFailedRunInOneArmSkipsTheOtherArmsRunsOfThatCell) {
  std::vector<CellResult> base = {cell_with_runs("a", 2)}, head = {cell_with_runs("a", 2)};
  const RunPlan plan = paired_plan(base);
  PlanCursor cursor(plan, {&base, &head});
  const auto first = cursor.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->arm, 0);
  cursor.cell_of(*first).runs.push_back(run("error"));
  EXPECT_FALSE(cursor.next());
}

}  // namespace
}  // namespace quant::harness
