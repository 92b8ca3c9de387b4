// kAuto's choices: the remembered record of a configuration, or one measured now
// (measuring.cpp), or the cost model's (pass_model.cpp); the records live in record_store.h.
#include "autotuner.h"

#include "measuring.h"
#include "pass_model.h"
#include "record_store.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <mutex>
#include <string>

namespace oaconv {
namespace autotune {

AutotuneRecord lookup_or_model(const ConvGeometry& g, c10::ScalarType dtype, int threads, bool channels_last) {
  Entry e;
  AutotuneRecord r;
  if (RecordStore::instance().find(cache_key(g, dtype, threads, channels_last), e)) {
    r.algorithms = e.algorithms;
    r.seconds = e.seconds;
    r.step_seconds = e.step_seconds;
    r.mix_step_seconds = e.mix_step_seconds;
    r.measured = e.measured[0];
    return r;
  }
  r.seconds = modelled_seconds(g, threads);
  r.algorithms = decide_pass_algorithms(r.seconds);
  r.measured = false;
  return r;
}

PassAlgorithms choose_for_call(const ConvGeometry& g, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                               bool all_passes) {
  RecordStore& store = RecordStore::instance();
  const int threads = at::get_num_threads();
  const bool channels_last = channels_last_layout(x, w);
  const std::string key = cache_key(g, x.scalar_type(), threads, channels_last);
  const bool backward = all_passes || (at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() ||
                                                                      (bias.defined() && bias.requires_grad())));
  Entry e;
  const auto complete = [&](const Entry& entry) {
    return entry.measured[0] && (!backward || (entry.measured[1] && entry.measured[2]));
  };
  if (store.find(key, e) && complete(e)) return e.algorithms;
  if (!store.enabled() || g.batch == 0) return lookup_or_model(g, x.scalar_type(), threads, channels_last).algorithms;
  // One configuration measured at a time (each measurement uses every thread).
  std::lock_guard<std::mutex> tuning(store.tuning_mutex());
  if (store.find(key, e) && complete(e)) return e.algorithms;
  if (!store.find(key, e)) e.seconds = unmeasured();
  measure(g, x, w, bias, backward, e);
  store.store(key, e);
  return e.algorithms;
}

void check_channels_last_rank(const ConvGeometry& g, bool channels_last, const char* op) {
  TORCH_CHECK(!channels_last || g.rank >= 2, op, ": channels_last is for 2-D (NHWC) and 3-D (NDHWC) convolutions; a ",
              g.rank, "-D one's tensors have no channels-last layout");
}

}  // namespace autotune

AutotuneRecord auto_pass_algorithms(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                    const Conv2dFuncOptions& options, c10::ScalarType dtype, bool channels_last) {
  const ConvGeometry g = geometry_of_sizes(input_sizes, weight_sizes, conv_request(options),
                                           "oaconv::auto_pass_algorithms", dtype);
  return autotune::lookup_or_model(g, dtype, at::get_num_threads(), channels_last);
}

template <typename Options>
AutotuneRecord auto_pass_algorithms(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                    const Options& options, c10::ScalarType dtype, bool channels_last) {
  const ConvGeometry g = geometry_of_sizes(input_sizes, weight_sizes, conv_request(options),
                                           "oaconv::auto_pass_algorithms", dtype);
  autotune::check_channels_last_rank(g, channels_last, "oaconv::auto_pass_algorithms");
  AutotuneRecord r = autotune::lookup_or_model(g, dtype, at::get_num_threads(), channels_last);
  if (g.transposed) {  // the record is of the adjoint's passes; a transposed call runs them re-assigned
    const PassAlgorithms a = r.algorithms;
    r.algorithms = PassAlgorithms{a.grad_input, a.forward, a.grad_weight};
    r.seconds = PassTimes{r.seconds[1], r.seconds[0], r.seconds[2]};
  }
  return r;
}

#define OACONV_AUTO_PASS_ALGORITHMS(Options)                                                          \
  template AutotuneRecord auto_pass_algorithms<Options>(c10::IntArrayRef, c10::IntArrayRef, const Options&, \
                                                        c10::ScalarType, bool);
OACONV_AUTO_PASS_ALGORITHMS(ConvFuncOptions<1>)
OACONV_AUTO_PASS_ALGORITHMS(ConvFuncOptions<3>)
OACONV_AUTO_PASS_ALGORITHMS(ConvTransposeFuncOptions<1>)
OACONV_AUTO_PASS_ALGORITHMS(ConvTransposeFuncOptions<2>)
OACONV_AUTO_PASS_ALGORITHMS(ConvTransposeFuncOptions<3>)
#undef OACONV_AUTO_PASS_ALGORITHMS

void set_autotune(bool enabled) { autotune::RecordStore::instance().set_enabled(enabled); }
bool autotune_enabled() { return autotune::RecordStore::instance().enabled(); }
void clear_autotune_cache() { autotune::RecordStore::instance().clear(); }
int64_t autotune_cache_size() { return autotune::RecordStore::instance().size(); }
void save_autotune_cache(const std::string& path) { autotune::RecordStore::instance().save(path); }
void load_autotune_cache(const std::string& path) { autotune::RecordStore::instance().load(path); }

}  // namespace oaconv
