#pragma once
// Files written whole or not at all: the bytes go to a new temporary file beside `path` (a
// unique name, created exclusively, so no existing file is touched), which is flushed to disk
// (fsync) and renamed over `path`; the directory is then synced so the rename itself survives
// a power cut. On any failure the temporary is removed and a c10::Error names the operation,
// the path and the reason.
#include <string>
#include <string_view>
#include <vector>

namespace oaconv {

// A file written in pieces (a stream of records), committed at the end. Destroyed without
// commit() (an error, an interruption), it removes its temporary and leaves `path` as it was.
class AtomicFileWriter {
 public:
  AtomicFileWriter(std::string operation, std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void append(std::string_view bytes);
  void commit();  // fsync, rename over the path, sync the directory

 private:
  std::string operation_, path_, temporary_;
  int fd_ = -1;
};

void write_file_atomically(const std::string& operation, const std::string& path, std::string_view bytes);
void write_file_atomically(const std::string& operation, const std::string& path,
                           const std::vector<unsigned char>& bytes);

}  // namespace oaconv
