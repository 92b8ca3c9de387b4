#pragma once
// kAuto's memory, per configuration key (cache_key: dtype, threads, geometry): the records of what
// was measured, whether measuring is on, and the environment that sets both up —
// OACONV_AUTOTUNE=0 turns measuring off, OACONV_AUTOTUNE_CACHE=FILE loads FILE on first use and
// saves every new record to it (atomically; a failed save only warns).
#include "autotune_cache_file.h"

#include <map>
#include <mutex>
#include <string>

namespace oaconv::autotune {

class RecordStore {
 public:
  static RecordStore& instance();
  bool enabled();
  void set_enabled(bool on);
  // The record of `key`, if any (loads the environment's file the first time).
  bool find(const std::string& key, Entry& out);
  // Remembers `e` and saves the environment's file, if one is set.
  void store(const std::string& key, const Entry& e);
  void clear();
  int64_t size();
  void save(const std::string& path);
  // Merges the file's records into (and over) the remembered ones.
  void load(const std::string& path);
  // Held while one configuration is measured (each measurement uses every thread).
  std::mutex& tuning_mutex() { return tuning_; }

 private:
  RecordStore();
  void load_env_file_once();  // with mutex_ held

  std::mutex mutex_, tuning_;
  std::map<std::string, Entry> entries_;
  bool enabled_ = true;
  std::string env_path_;
  bool env_loaded_ = false;
};

}  // namespace oaconv::autotune
