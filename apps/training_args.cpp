#include "training_args.h"

#include "int_list.h"
#include "launch_ranks.h"

#include <c10/util/Exception.h>

#include <unistd.h>

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

namespace oaconv::apps {
namespace {

constexpr int64_t kMaxWidth = 4096;   // channels of a stage (--widths)
constexpr int64_t kMaxKernel = 63;    // kernel side of a stage (--kernels)
constexpr int64_t kMaxEpochs = 100000;

double physical_memory_bytes() {
  return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// The rendered splits live in memory as float32 (3, size, size) images: refused when they
// would take over 3/4 of the machine's memory, with the figure, instead of LibTorch's
// allocation failure after minutes of rendering.
void check_images_fit(const TrainingArgs& a) {
  if (a.image_size < 32 || a.image_size > 256) return;  // the data set refuses it, naming its rule
  const double bytes = (static_cast<double>(a.train_count) + a.val_count) * 3.0 * a.image_size * a.image_size * 4.0;
  const double memory = physical_memory_bytes();
  TORCH_CHECK(bytes <= 0.75 * memory, "--train-count ", a.train_count, " and --val-count ", a.val_count,
              " need ", bytes / 1e9, " GB for their images in memory (3x", a.image_size, "x", a.image_size,
              " float32 each); this machine has ", memory / 1e9, " GB");
}

}  // namespace

void TrainingArgs::add_to(CLI::App* cmd) {
  cmd->add_option("--preset", preset, "Model preset: small (3x3, VGG-like) or large (kernels 15, 13, 11, 7)")->capture_default_str();
  cmd->add_option("--widths", widths, "Comma list of stage widths (overrides the preset)");
  cmd->add_option("--kernels", kernels, "Comma list of stage kernel sizes, odd (overrides the preset)");
  cmd->add_option("--epochs", epochs, "Epochs")->capture_default_str();
  cmd->add_option("--train-count", train_count, "Training samples (generated once, in memory)")->capture_default_str();
  cmd->add_option("--val-count", val_count, "Validation samples")->capture_default_str();
  cmd->add_option("--image-size", image_size, "Image side in pixels (32..256)")->capture_default_str();
  cmd->add_option("--profile", profile, "Rule profile: 2017 or 2024")->capture_default_str();
  cmd->add_option("--difficulty", difficulty, "easy, default or hard")->capture_default_str();
  cmd->add_option("--background-fraction", background_fraction, "Share of background-only crops (extra class)")
      ->capture_default_str();
  cmd->add_option("--batch-size", batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--optimizer", optimizer, "adam or sgd")->capture_default_str();
  cmd->add_option("--lr", lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--momentum", momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", weight_decay, "Weight decay")->capture_default_str();
  cmd->add_option("--schedule", schedule, "Learning-rate schedule: cosine, step or constant")->capture_default_str();
  cmd->add_option("--warmup-epochs", warmup_epochs, "Raise the learning rate linearly over this many epochs first")
      ->capture_default_str();
  cmd->add_option("--seed", seed, "Seed of the data splits, initial weights and shuffling")->capture_default_str();
  cmd->add_option("--threads", threads, "Threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--fresh-data", fresh_data, "Render new training samples every epoch (timed as data)");
  cmd->add_option("--world-size", world_size, "Data-parallel: number of processes in the run")->capture_default_str();
  cmd->add_option("--rank", rank, "Data-parallel: this process's rank, 0 to --world-size - 1")->capture_default_str();
  cmd->add_option("--init-method", init_method,
                  "Data-parallel: where the ranks meet, tcp://HOST:PORT (rank 0 listens) or file://PATH (shared)");
  cmd->add_option("--timeout", timeout_s, "Data-parallel: seconds to wait for another rank before stopping with an error")
      ->capture_default_str();
  cmd->add_option("--nproc", nproc,
                  "Data-parallel: start this many local processes (threads divided among them unless --threads)");
}

training::DistributedOptions TrainingArgs::distributed_options() const {
  TORCH_CHECK(std::isfinite(timeout_s) && timeout_s > 0 && timeout_s <= 86400,
              "--timeout must be in (0, 86400] seconds, but got ", timeout_s);
  training::DistributedOptions o;
  o.world_size = world_size;
  o.rank = rank;
  o.init_method = init_method;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  training::check_distributed_options(o);
  return o;
}

int TrainingArgs::run_local_ranks(const char* command) const {
  TORCH_CHECK(nproc < 1 || batch_size % nproc == 0, command, ": --batch-size ", batch_size,
              " must be a multiple of --nproc ", nproc, ": each process takes an equal share of every batch");
  return apps::run_local_ranks(command, nproc, threads, timeout_s,
                               world_size != 1 || rank != 0 || !init_method.empty());
}

std::shared_ptr<training::Communicator> TrainingArgs::connect() const {
  const training::DistributedOptions options = distributed_options();
  if (!distributed()) return nullptr;
  std::shared_ptr<training::Communicator> communicator = training::Communicator::connect(options);
  if (leads()) {
    std::printf("data-parallel: %d processes joined at %s; each takes %lld of every %lld-sample batch\n", world_size,
                init_method.c_str(), static_cast<long long>(batch_size / world_size), static_cast<long long>(batch_size));
    std::fflush(stdout);
  }
  return communicator;
}

std::ostream& quiet_stream() {
  static std::ostream discard(nullptr);  // no buffer: every write is dropped
  return discard;
}

std::pair<int64_t, int64_t> rank_share(int64_t count, const TrainingArgs& a) {
  return {count * a.rank / a.world_size, count * (a.rank + 1) / a.world_size};
}

namespace {

// A fixed training set, rendered a sample at a time the first time this rank uses it.
class RenderedOnce {
 public:
  explicit RenderedOnce(datasets::UavTargetsOptions options) : set_(options), rendered_(options.count(), false) {}

  training::DataSplit take(const std::vector<int64_t>& indices) {
    std::vector<int64_t> missing;
    for (int64_t i : indices) {
      if (!rendered_[i]) missing.push_back(i);
      rendered_[i] = true;
    }
    if (!missing.empty()) {
      if (!images_.defined()) {
        const int64_t s = set_.options().image_size();
        images_ = at::empty({set_.options().count(), 3, s, s});
        labels_ = at::empty({set_.options().count()}, at::kLong);
      }
      const auto [images, labels] = set_.render_indices(missing);
      const at::Tensor where = at::tensor(missing, at::kLong);
      images_.index_copy_(0, where, images);
      labels_.index_copy_(0, where, labels);
    }
    const at::Tensor where = at::tensor(indices, at::kLong);
    return {images_.index_select(0, where), labels_.index_select(0, where)};
  }

 private:
  datasets::UavTargets set_;
  std::vector<bool> rendered_;
  at::Tensor images_, labels_;
};

}  // namespace

std::function<training::DataSplit(int64_t, const std::vector<int64_t>&)> training_samples(const TrainingArgs& a) {
  namespace ds = oaconv::datasets;
  const uint64_t seed = ds::UavTargets::split_seed(a.seed, ds::Split::kTrain);
  if (a.fresh_data) {
    const auto options = a.data_options().count(a.train_count * a.epochs).seed(seed);
    return [options, n = a.train_count](int64_t epoch, const std::vector<int64_t>& indices) {
      std::vector<int64_t> samples(indices.size());
      for (size_t j = 0; j < indices.size(); ++j) samples[j] = (epoch - 1) * n + indices[j];
      training::DataSplit d;
      std::tie(d.images, d.labels) = ds::UavTargets(options).render_indices(samples);
      return d;
    };
  }
  if (!a.distributed()) return {};
  auto cache = std::make_shared<RenderedOnce>(a.data_options().count(a.train_count).seed(seed));
  return [cache](int64_t, const std::vector<int64_t>& indices) { return cache->take(indices); };
}

training::ClassifierConfig TrainingArgs::model_config(int64_t num_classes) const {
  training::ClassifierConfig c = training::ClassifierConfig::preset(preset, num_classes);
  if (!widths.empty()) c.widths = parse_int_list(widths, "--widths");
  if (!kernels.empty()) c.kernels = parse_int_list(kernels, "--kernels");
  for (int64_t w : c.widths) {
    TORCH_CHECK(w >= 1 && w <= kMaxWidth, "--widths: every stage width must be from 1 to ", kMaxWidth, ", but got ", w);
  }
  for (int64_t k : c.kernels) {
    TORCH_CHECK(k >= 1 && k <= kMaxKernel, "--kernels: every kernel size must be from 1 to ", kMaxKernel, ", but got ",
                k);
  }
  return c;
}

training::ModelCard TrainingArgs::model_card(const std::vector<std::string>& class_names) const {
  const training::ClassifierConfig c = model_config(static_cast<int64_t>(class_names.size()));
  training::ModelCard card;
  card.preset = widths.empty() && kernels.empty() ? preset : "custom";
  card.widths = c.widths;
  card.kernels = c.kernels;
  card.class_names = class_names;
  card.image_size = image_size;
  card.profile = profile;
  card.difficulty = difficulty;
  card.background_fraction = background_fraction;
  return card;
}

datasets::UavTargetsOptions TrainingArgs::data_options() const {
  namespace ds = oaconv::datasets;
  return ds::UavTargetsOptions()
      .image_size(image_size)
      .profile(ds::profile_from_string(profile))
      .difficulty(ds::difficulty_from_string(difficulty))
      .background_fraction(background_fraction);
}

training::TrainerOptions TrainingArgs::trainer_options() const {
  training::TrainerOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.optimizer = optimizer;
  o.schedule = schedule;
  o.lr = lr;
  o.warmup_epochs = warmup_epochs;
  o.momentum = momentum;
  o.weight_decay = weight_decay;
  o.seed = seed;
  return o;
}

TrainingData make_training_data(const TrainingArgs& a) {
  TORCH_CHECK(a.epochs >= 1, "--epochs must be at least 1, but got ", a.epochs);
  TORCH_CHECK(a.epochs <= kMaxEpochs, "--epochs must be at most ", kMaxEpochs, ", but got ", a.epochs);
  TORCH_CHECK(a.train_count >= 1 && a.val_count >= 1, "--train-count and --val-count must be positive, but got ",
              a.train_count, " and ", a.val_count);
  TORCH_CHECK(a.batch_size <= a.train_count, "--batch-size ", a.batch_size, " is larger than the training set (",
              a.train_count, " samples)");
  check_images_fit(a);
  namespace ds = oaconv::datasets;
  const auto options = a.data_options();
  const auto t0 = std::chrono::steady_clock::now();
  const ds::UavTargets train(ds::UavTargetsOptions(options).count(a.train_count).seed(ds::UavTargets::split_seed(a.seed, ds::Split::kTrain)));
  const ds::UavTargets val(ds::UavTargetsOptions(options).count(a.val_count).seed(ds::UavTargets::split_seed(a.seed, ds::Split::kValidation)));
  TrainingData d;
  // Rendered up front only when the trainer takes rows of it (training_samples is empty).
  if (!a.fresh_data && !a.distributed()) std::tie(d.train.images, d.train.labels) = train.render_range(0, a.train_count);
  const auto [val_begin, val_end] = rank_share(a.val_count, a);
  std::tie(d.val.images, d.val.labels) = val.render_range(val_begin, val_end - val_begin);
  d.class_names = train.class_names();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.leads()) {
    std::printf("data: %lld training + %lld validation samples of %lldx%lld, %zu classes, %s in %.1f s\n",
                static_cast<long long>(a.train_count), static_cast<long long>(a.val_count),
                static_cast<long long>(a.image_size), static_cast<long long>(a.image_size), d.class_names.size(),
                d.train.images.defined() ? "rendered"
                : a.distributed()        ? "this rank's validation share rendered (training samples as it uses them)"
                                         : "validation rendered (training samples as each epoch starts)",
                seconds);
    std::fflush(stdout);
  }
  return d;
}

}  // namespace oaconv::apps
