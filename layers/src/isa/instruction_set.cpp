#include "instruction_set.h"

#include "kernel_table.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <cstring>

namespace oaconv::isa {
namespace {

constexpr InstructionSet kAll[] = {InstructionSet::kBaseline, InstructionSet::kAvx2, InstructionSet::kAvx512};

std::string supported_list() {
  std::string out;
  for (InstructionSet set : supported()) out += (out.empty() ? "" : ", ") + std::string(name(set));
  return out;
}

// OACONV_ISA parsed and checked; the widest supported set when unset or empty.
InstructionSet from_environment() {
  const char* value = std::getenv("OACONV_ISA");
  if (value == nullptr || *value == '\0') return supported().back();
  for (InstructionSet set : kAll) {
    if (std::strcmp(value, name(set)) != 0) continue;
    TORCH_CHECK(cpu_supports(set), "OACONV_ISA=", value, ": this CPU does not run the ", name(set),
                " instruction set (it runs ", supported_list(), ")");
    return set;
  }
  TORCH_CHECK(false, "OACONV_ISA=", value, ": unknown instruction set; expected one of baseline, avx2, avx512 "
              "(this CPU runs ", supported_list(), ")");
}

}  // namespace

const char* name(InstructionSet set) {
  switch (set) {
    case InstructionSet::kBaseline: return "baseline";
    case InstructionSet::kAvx2: return "avx2";
    case InstructionSet::kAvx512: return "avx512";
  }
  return "?";
}

bool cpu_supports(InstructionSet set) {
  // libgcc's (and compiler-rt's) CPU model also checks that the OS saves the YMM/ZMM state.
  __builtin_cpu_init();
  switch (set) {
    case InstructionSet::kBaseline: return true;
    case InstructionSet::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case InstructionSet::kAvx512:
      return cpu_supports(InstructionSet::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
  }
  return false;
}

std::vector<InstructionSet> supported() {
  std::vector<InstructionSet> sets;
  for (InstructionSet set : kAll) {
    if (cpu_supports(set)) sets.push_back(set);
  }
  return sets;
}

InstructionSet active() {
  // A throwing initialiser leaves the static uninitialised, so a bad OACONV_ISA throws again on
  // the next call instead of leaving a later caller without a kernel table.
  static const InstructionSet set = from_environment();
  return set;
}

std::string describe() {
  const char* value = std::getenv("OACONV_ISA");
  const bool forced = value != nullptr && *value != '\0';
  return std::string(name(active())) + " (this CPU: " + supported_list() + "; " +
         (forced ? "forced by OACONV_ISA" : "OACONV_ISA unset") + ")";
}

const KernelTable& kernels() {
  static const KernelTable* const table = [] {
    switch (active()) {
      case InstructionSet::kBaseline: return oaconv_kernels_baseline();
      case InstructionSet::kAvx2: return oaconv_kernels_avx2();
      case InstructionSet::kAvx512: return oaconv_kernels_avx512();
    }
    return oaconv_kernels_baseline();
  }();
  return *table;
}

}  // namespace oaconv::isa
