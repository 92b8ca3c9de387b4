#pragma once
// The instruction set oaconv's SIMD kernels run with, chosen once per process at run time.
//
// The kernels (the spectral product, the DFT matrix products, the direct loops, the separable
// filter) are compiled once per instruction set from the same source into their own libraries
// (liboaconv_kernels_<name>.so, layers/CMakeLists.txt); the rest of oaconv is compiled for a
// baseline x86-64 and calls the kernels through the table of the set chosen here, so one build
// runs on any x86-64 CPU. docs/design.md, "Instruction sets", says why they are separate
// libraries.
#include <string>
#include <vector>

namespace oaconv::isa {

enum class InstructionSet {
  kBaseline,  // x86-64: SSE2, 16-byte vectors
  kAvx2,      // AVX2 and FMA: 32-byte vectors, 16 registers
  kAvx512,    // AVX-512 F, BW, DQ, VL, CD: 64-byte vectors, 32 registers
};

const char* name(InstructionSet set);

// Whether this CPU (and the operating system, which must save the wider registers) runs `set`.
bool cpu_supports(InstructionSet set);

// Every set this CPU runs, narrowest first.
std::vector<InstructionSet> supported();

// The set in use: OACONV_ISA (baseline, avx2 or avx512) where it is set, else the widest the CPU
// runs. An unknown name, or a set the CPU lacks, throws a c10::Error naming the variable, the
// value and the sets this CPU has (on every call, so every caller sees it).
InstructionSet active();

// "avx512 (this CPU: baseline, avx2, avx512; OACONV_ISA unset)", for `oaconv info`.
std::string describe();

}  // namespace oaconv::isa
