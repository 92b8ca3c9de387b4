// `oaconv targets`: generate synthetic UAV ground targets; optionally a contact sheet, one PNG
// per sample with labels.csv, and JSON-lines metadata. Output paths are checked before any
// work, and every file is written whole (temporary + rename) or not at all.
#include "commands.h"
#include "output_paths.h"
#include "threads.h"

#include <oaconv/atomic_file.h>
#include <oaconv/datasets/contact_sheet.h>
#include <oaconv/datasets/uav_targets.h>

#include <c10/util/Exception.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace oaconv::apps {
namespace {

// Samples of one command: about an hour of rendering on two cores, 10 GB of 64x64 PNGs.
constexpr int64_t kMaxCount = 10'000'000;

namespace ds = oaconv::datasets;
namespace fs = std::filesystem;

struct TargetsArgs {
  int64_t count = 64;
  uint64_t seed = 0;
  int64_t size = 64;
  std::string profile = "2017", difficulty = "default", label = "shape";
  double background_fraction = 0, jpeg_probability = 0.3;
  std::string grid, out, meta;
  int threads = 0;
};

void run_targets(const TargetsArgs& a) {
  TORCH_CHECK(a.count > 0 && a.count <= kMaxCount, "oaconv targets: --count must be from 1 to ", kMaxCount, ", but got ",
              a.count);
  set_threads(a.threads);
  const ds::UavTargets data(ds::UavTargetsOptions()
                                .image_size(a.size)
                                .profile(ds::profile_from_string(a.profile))
                                .difficulty(ds::difficulty_from_string(a.difficulty))
                                .label(ds::label_kind_from_string(a.label))
                                .background_fraction(a.background_fraction)
                                .jpeg_probability(a.jpeg_probability)
                                .seed(a.seed)
                                .count(a.count));
  check_distinct_files("oaconv targets", {{"--grid", a.grid},
                                         {"--meta", a.meta},
                                         {"--out", a.out.empty() ? "" : (fs::path(a.out) / "labels.csv").string()}});
  if (!a.grid.empty()) check_writable_file("oaconv targets", a.grid, "--grid");
  if (!a.meta.empty()) check_writable_file("oaconv targets", a.meta, "--meta");
  if (!a.out.empty()) {
    std::error_code ec;
    fs::create_directories(a.out, ec);
    TORCH_CHECK(!ec && fs::is_directory(a.out), "oaconv targets: --out '", a.out, "' cannot be created: ", ec.message());
    check_writable_file("oaconv targets", (fs::path(a.out) / "labels.csv").string(), "--out");
  }
  const auto names = data.class_names();
  std::optional<AtomicFileWriter> meta, labels;
  if (!a.meta.empty()) meta.emplace("oaconv targets: --meta", a.meta);
  if (!a.out.empty()) {
    labels.emplace("oaconv targets: labels.csv", (fs::path(a.out) / "labels.csv").string());
    labels->append("index,file,label,class,shape,shape_color,character,character_color,angle_degrees\n");
  }
  std::map<int64_t, std::vector<ds::TargetSample>> for_grid;  // up to 4 per class
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int64_t kChunk = 256;
  for (int64_t begin = 0; begin < a.count; begin += kChunk) {
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < std::min(a.count, begin + kChunk); ++i) indices.push_back(i);
    const auto samples = data.render(indices);
    for (size_t j = 0; j < samples.size(); ++j) {
      const ds::TargetSample& s = samples[j];
      const int64_t index = indices[j];
      if (meta) meta->append(s.metadata_json + "\n");
      if (!a.out.empty()) {
        char name[32];
        std::snprintf(name, sizeof(name), "%07lld.png", static_cast<long long>(index));
        ds::write_sample_png((fs::path(a.out) / name).string(), s.image);
        std::ostringstream row;
        row << index << "," << name << "," << s.label << "," << names[s.label] << ","
            << (s.background ? "" : ds::to_string(s.shape)) << "," << (s.background ? "" : ds::to_string(s.shape_color))
            << "," << (s.background ? std::string() : std::string(1, s.character)) << ","
            << (s.background ? "" : ds::to_string(s.character_color)) << "," << (s.background ? 0.0 : s.angle_degrees)
            << "\n";
        labels->append(row.str());
      }
      if (!a.grid.empty() && for_grid[s.label].size() < 4) for_grid[s.label].push_back(s);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (meta) meta->commit();
  if (labels) labels->commit();
  if (!a.grid.empty()) {
    std::vector<ds::TargetSample> sheet;
    for (auto& [label, samples] : for_grid) sheet.insert(sheet.end(), samples.begin(), samples.end());
    ds::write_contact_sheet(a.grid, sheet, names);
  }
  std::printf("generated %lld samples in %.3f s (%.0f samples/s)\n", static_cast<long long>(a.count), seconds,
              a.count / seconds);
}

}  // namespace

void add_targets_command(CLI::App& app) {
  auto a = std::make_shared<TargetsArgs>();
  CLI::App* cmd = app.add_subcommand("targets", "Generate synthetic UAV ground targets (SUAS shapes, letters, light, camera)");
  cmd->add_option("--count", a->count, "Number of samples (1..10000000)")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Data set seed (sample i depends only on seed and i)")->capture_default_str();
  cmd->add_option("--size", a->size, "Image side in pixels (32..256)")->capture_default_str();
  cmd->add_option("--profile", a->profile, "Rule profile: 2017 (2017-2023, 13 shapes x 10 colours) or 2024 (8 x 8)")
      ->capture_default_str();
  cmd->add_option("--difficulty", a->difficulty, "easy, default or hard")->capture_default_str();
  cmd->add_option("--label", a->label, "Class label: shape, shape_color, character, character_color, angle")
      ->capture_default_str();
  cmd->add_option("--background-fraction", a->background_fraction, "Share of background-only crops (extra class)")
      ->capture_default_str();
  cmd->add_option("--jpeg-probability", a->jpeg_probability, "Share of samples through a JPEG round trip")
      ->capture_default_str();
  cmd->add_option("--grid", a->grid, "Write a labelled contact sheet PNG (up to 4 samples per class)");
  cmd->add_option("--out", a->out, "Write one PNG per sample and labels.csv into this directory");
  cmd->add_option("--meta", a->meta, "Write every sample's parameters as JSON lines");
  cmd->add_option("--threads", a->threads, "Threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->callback([a] { run_targets(*a); });
}

}  // namespace oaconv::apps
