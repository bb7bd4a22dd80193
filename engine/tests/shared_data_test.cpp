// SKIP_WITHOUT_SHARED: a missing ../shared file skips the test, or fails it under QUANT_REQUIRE_SHARED=1.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

namespace fs = std::filesystem;

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      had_ = true;
      old_ = old;
    }
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { had_ ? setenv(name_, old_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// An empty folder standing in for a checkout without ../shared, with one file when `with_model`.
std::string fake_shared_dir(bool with_model) {
  const fs::path dir = quant::test::temp_path(with_model ? "shared-with-model" : "shared-empty");
  fs::remove_all(dir);
  fs::create_directories(dir / "models");
  if (with_model) std::ofstream(dir / "models" / "present.gguf") << "x";
  return dir.string();
}

std::string g_seen_path;  // what the test body below saw as the file's path

void body_needing(const char* relative) {
  g_seen_path.clear();
  SKIP_WITHOUT_SHARED(path, relative);
  g_seen_path = path;
}
void body_needing_missing_file() { body_needing("models/absent.gguf"); }
void body_needing_present_file() { body_needing("models/present.gguf"); }

// Runs a test body with its results captured instead of reported: what it would have done to the test.
std::vector<testing::TestPartResult> results_of(void (*body)()) {
  testing::TestPartResultArray results;
  {
    using Reporter = testing::ScopedFakeTestPartResultReporter;
    Reporter capture(Reporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    body();
  }
  std::vector<testing::TestPartResult> out;
  for (int i = 0; i < results.size(); ++i) out.push_back(results.GetTestPartResult(i));
  return out;
}

TEST(SharedData, MissingFileSkipsTheTestByDefault) {
  ScopedEnv dir("QUANT_SHARED_DIR", fake_shared_dir(false).c_str()), required("QUANT_REQUIRE_SHARED", nullptr);
  const auto results = results_of(body_needing_missing_file);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].skipped());
  EXPECT_NE(std::string(results[0].message()).find("models/absent.gguf"), std::string::npos) << results[0].message();
  EXPECT_EQ(g_seen_path, "") << "the body went on past the missing file";
}

TEST(SharedData, MissingFileFailsTheTestUnderQuantRequireShared) {
  ScopedEnv dir("QUANT_SHARED_DIR", fake_shared_dir(false).c_str()), required("QUANT_REQUIRE_SHARED", "1");
  const auto results = results_of(body_needing_missing_file);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].fatally_failed());
  const std::string message = results[0].message();
  EXPECT_NE(message.find("models/absent.gguf"), std::string::npos) << message;
  EXPECT_NE(message.find("QUANT_REQUIRE_SHARED=1"), std::string::npos) << message;
  EXPECT_EQ(g_seen_path, "") << "the body went on past the missing file";
}

TEST(SharedData, OnlyTheValueOneRequiresSharedData) {
  ScopedEnv dir("QUANT_SHARED_DIR", fake_shared_dir(false).c_str()), required("QUANT_REQUIRE_SHARED", "0");
  const auto results = results_of(body_needing_missing_file);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].skipped());
}

TEST(SharedData, PresentFileRunsTheTestWithItsFullPath) {
  for (const char* required_value : {static_cast<const char*>(nullptr), "1"}) {
    const std::string shared = fake_shared_dir(true);
    ScopedEnv dir("QUANT_SHARED_DIR", shared.c_str()), required("QUANT_REQUIRE_SHARED", required_value);
    EXPECT_TRUE(results_of(body_needing_present_file).empty());
    EXPECT_EQ(g_seen_path, shared + "/models/present.gguf");
  }
}

}  // namespace
