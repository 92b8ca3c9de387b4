#include <oaconv/atomic_file.h>

#include <c10/util/Exception.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace oaconv {
namespace {

namespace fs = std::filesystem;

// The rename is durable once the directory holding it is synced (a failure here only means a
// crash in the next moments could lose the rename, so it is not an error).
void sync_directory_of(const std::string& path) {
  const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string operation, std::string path)
    : operation_(std::move(operation)), path_(std::move(path)) {
  // A name of this process's that did not exist (mode 0666 less the umask, as an ordinary
  // output file).
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    temporary_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    TORCH_CHECK(errno == EEXIST, operation_, ": cannot write '", path_, "': ", std::strerror(errno));
  }
  TORCH_CHECK(false, operation_, ": cannot write '", path_, "': no free temporary name beside it");
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temporary_.c_str());
}

void AtomicFileWriter::append(std::string_view bytes) {
  TORCH_CHECK(fd_ >= 0, operation_, ": '", path_, "' was already committed");
  const char* data = bytes.data();
  size_t size = bytes.size();
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    TORCH_CHECK(n > 0, operation_, ": writing '", path_, "' failed: ", std::strerror(n < 0 ? errno : EIO));
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  TORCH_CHECK(fd_ >= 0, operation_, ": '", path_, "' was already committed");
  const bool synced = ::fsync(fd_) == 0;
  const int sync_errno = errno;
  const bool closed = ::close(fd_) == 0;
  const int close_errno = errno;
  fd_ = -1;
  if (!synced || !closed) {
    ::unlink(temporary_.c_str());
    TORCH_CHECK(false, operation_, ": writing '", path_, "' failed: ", std::strerror(synced ? close_errno : sync_errno));
  }
  std::error_code ec;
  fs::rename(temporary_, path_, ec);
  if (ec) {
    ::unlink(temporary_.c_str());
    TORCH_CHECK(false, operation_, ": cannot move the finished file into '", path_, "': ", ec.message());
  }
  sync_directory_of(path_);
}

void write_file_atomically(const std::string& operation, const std::string& path, std::string_view bytes) {
  AtomicFileWriter file(operation, path);
  file.append(bytes);
  file.commit();
}

void write_file_atomically(const std::string& operation, const std::string& path,
                           const std::vector<unsigned char>& bytes) {
  write_file_atomically(operation, path,
                        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace oaconv
