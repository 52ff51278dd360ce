#include "tools/kvctl/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class AtomicFileTest : public ::testing::Test {
 protected:
  AtomicFileTest() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/atomic.XXXXXX";
    dir_ = mkdtemp(pattern.data());
  }

  // The names in the test's folder.
  std::set<std::string> Names() const {
    std::set<std::string> names;
    DIR* dir = opendir(dir_.c_str());
    while (dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.insert(name);
    }
    closedir(dir);
    return names;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
};

TEST_F(AtomicFileTest, CommitRenamesIntoPlace) {
  const std::string path = dir_ + "/dump.jsonl";
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::fputs("line\n", file->file());
  EXPECT_THAT(Names(), ElementsAre(HasSubstr("dump.jsonl.tmp-")));
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_THAT(Names(), ElementsAre("dump.jsonl"));
  EXPECT_EQ(Read(path), "line\n");
}

TEST_F(AtomicFileTest, CommitReplacesAnExistingFile) {
  const std::string path = dir_ + "/dump.jsonl";
  std::ofstream(path) << "old\n";
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::fputs("new\n", file->file());
  EXPECT_EQ(Read(path), "old\n");
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Read(path), "new\n");
}

TEST_F(AtomicFileTest, WithoutCommitNothingIsLeft) {
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(dir_ + "/dump.jsonl");
    ASSERT_TRUE(file.ok()) << file.status();
    std::fputs("partial", file->file());
    AtomicFile moved = std::move(*file);
  }
  EXPECT_THAT(Names(), IsEmpty());
}

TEST_F(AtomicFileTest, TemporaryNamesDoNotCollide) {
  absl::StatusOr<AtomicFile> a = AtomicFile::Create(dir_ + "/f");
  absl::StatusOr<AtomicFile> b = AtomicFile::Create(dir_ + "/f");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->temp_path(), b->temp_path());
}

TEST_F(AtomicFileTest, MissingFolderFailsNamingThePath) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(dir_ + "/no/dump");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("cannot create \""));
  EXPECT_THAT(file.status().message(), HasSubstr("/no/dump.tmp-"));
  EXPECT_THAT(file.status().message(), HasSubstr("No such file or directory"));
}

}  // namespace
}  // namespace kv::kvctl
