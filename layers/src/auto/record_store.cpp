#include "record_store.h"

#include <oaconv/atomic_file.h>

#include <c10/util/Exception.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace oaconv::autotune {

RecordStore& RecordStore::instance() {
  static RecordStore r;
  return r;
}

RecordStore::RecordStore() {
  const char* flag = std::getenv("OACONV_AUTOTUNE");
  enabled_ = !(flag && std::string(flag) == "0");
  const char* path = std::getenv("OACONV_AUTOTUNE_CACHE");
  if (path && *path) env_path_ = path;
}

bool RecordStore::enabled() {
  std::lock_guard<std::mutex> lock(mutex_);
  return enabled_;
}

void RecordStore::set_enabled(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = on;
}

bool RecordStore::find(const std::string& key, Entry& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  load_env_file_once();
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  out = it->second;
  return true;
}

void RecordStore::store(const std::string& key, const Entry& e) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[key] = e;
    path = env_path_;
  }
  if (path.empty()) return;
  // The file only saves measuring next time: failing to write it must not stop the training
  // that measured.
  try {
    save(path);
  } catch (const c10::Error& error) {
    TORCH_WARN_ONCE("oaconv: the autotune cache (OACONV_AUTOTUNE_CACHE) is not saved: ", error.what_without_backtrace());
  }
}

void RecordStore::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
}

int64_t RecordStore::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(entries_.size());
}

void RecordStore::save(const std::string& path) {
  std::map<std::string, Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries = entries_;
  }
  write_file_atomically("oaconv::save_autotune_cache", path, format_cache_file(entries));
}

void RecordStore::load(const std::string& path) {
  std::ifstream in(path);
  TORCH_CHECK(in.good(), "oaconv::load_autotune_cache: cannot read '", path, "'");
  std::map<std::string, Entry> loaded = parse_cache_file(in, path);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, e] : loaded) entries_[key] = e;
}

void RecordStore::load_env_file_once() {
  if (env_loaded_ || env_path_.empty()) return;
  env_loaded_ = true;
  if (!std::filesystem::exists(env_path_)) return;
  mutex_.unlock();
  try {
    load(env_path_);
  } catch (...) {
    mutex_.lock();
    throw;
  }
  mutex_.lock();
}

}  // namespace oaconv::autotune
