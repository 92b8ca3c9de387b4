// The kernel table in use matches the instruction set chosen (OACONV_ISA, or the CPU's widest),
// and the kernels were compiled for it. CTest runs this under each set the CPU has (run_with_isa.sh).
#include "isa/instruction_set.h"
#include "isa/kernel_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace oaconv::isa {
namespace {

TEST(InstructionSet, ActiveIsForcedOrWidest) {
  const std::vector<InstructionSet> sets = supported();
  ASSERT_FALSE(sets.empty());
  EXPECT_EQ(sets.front(), InstructionSet::kBaseline);
  const char* forced = std::getenv("OACONV_ISA");
  if (forced != nullptr && *forced != '\0') {
    EXPECT_STREQ(name(active()), forced);
    EXPECT_NE(describe().find("forced by OACONV_ISA"), std::string::npos) << describe();
  } else {
    EXPECT_EQ(active(), sets.back());
  }
  for (InstructionSet set : sets) EXPECT_TRUE(cpu_supports(set)) << name(set);
}

TEST(InstructionSet, KernelTableIsCompiledForTheActiveSet) {
  const KernelTable& table = kernels();
  EXPECT_EQ(table.set, active());
  const int expected_bytes = active() == InstructionSet::kAvx512 ? 64 : active() == InstructionSet::kAvx2 ? 32 : 16;
  EXPECT_EQ(table.simd_bytes, expected_bytes);
}

TEST(InstructionSet, EachSupportedSetHasItsOwnTable) {
  const KernelTable* tables[] = {oaconv_kernels_baseline(), oaconv_kernels_avx2(), oaconv_kernels_avx512()};
  EXPECT_EQ(tables[0]->set, InstructionSet::kBaseline);
  EXPECT_EQ(tables[1]->set, InstructionSet::kAvx2);
  EXPECT_EQ(tables[2]->set, InstructionSet::kAvx512);
  EXPECT_NE(tables[0]->spectral_gemm_float, tables[1]->spectral_gemm_float);
  EXPECT_NE(tables[1]->spectral_gemm_float, tables[2]->spectral_gemm_float);
}

}  // namespace
}  // namespace oaconv::isa
