#pragma once
// A fresh directory under $TMPDIR for one test, removed when the test ends (kept if TROUPE_KEEP_TEST_DIRS is set,
// to look at a failing test's store).

#include <string>

namespace troupe::test {

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace troupe::test
