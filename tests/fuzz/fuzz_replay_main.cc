// The main() of a fuzz target in the default (gcc) build, which has no
// libFuzzer: it runs LLVMFuzzerTestOneInput once on every file named on the
// command line, or found (recursively) in a directory named there. Arguments
// that start with '-' are libFuzzer flags and are ignored, so a target takes
// the same arguments under both builds. A crash or sanitizer report fails the
// run; so does an argument that names nothing, or a run over no input at all.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

// Appends `path`, or every regular file under it if it is a directory.
bool CollectInputs(const std::filesystem::path& path,
                   std::vector<std::filesystem::path>& inputs) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(path, error)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
    return !error;
  }
  if (std::filesystem::is_regular_file(path, error)) {
    inputs.push_back(path);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    if (!CollectInputs(arg, inputs)) {
      std::fprintf(stderr, "fuzz replay: %s is not a file or directory\n",
                   arg.c_str());
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz replay: no inputs; name corpus directories\n");
    return 2;
  }
  for (const std::filesystem::path& input : inputs) {
    std::ifstream file(input, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    if (!file.good() && !file.eof()) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", input.c_str());
      return 2;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("fuzz replay: ran %zu inputs\n", inputs.size());
  return 0;
}
