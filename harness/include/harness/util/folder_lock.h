#pragma once
// One bench-all at a time per sweep folder: an exclusive flock on the folder itself, held while the sweep
// runs and its outputs are written. A second `run`/`run --resume` on the folder is refused at once
// instead of running the same cells twice. The lock goes with the process, however it ends.
#include <string>

namespace quant::harness {

class FolderLock {
 public:
  // Creates the folder when needed. InputError when another process holds it or it cannot be opened.
  explicit FolderLock(const std::string& dir);
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock();

 private:
  int fd_ = -1;
};

}  // namespace quant::harness
