#include "tools/kvctl/describe_output.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;

// `name` without `prefix`, or `number` as text when the name is empty (a
// value this build does not know).
std::string ShortName(const std::string& name, absl::string_view prefix,
                      int number) {
  if (name.empty()) return absl::StrCat(number);
  absl::string_view shortened = name;
  absl::ConsumePrefix(&shortened, prefix);
  return std::string(shortened);
}

std::string DurabilityName(v1::Durability durability) {
  return ShortName(v1::Durability_Name(durability), "DURABILITY_", durability);
}

// What a durability means, for the text form.
absl::string_view DurabilityMeaning(v1::Durability durability) {
  switch (durability) {
    case v1::DURABILITY_NONE:
      return " (kept in kvd's memory: gone when kvd exits)";
    case v1::DURABILITY_PROCESS:
      return " (an acknowledged write survives kvd crashing, not a power "
             "loss)";
    case v1::DURABILITY_DISK:
      return " (an acknowledged write survives a power loss)";
    case v1::DURABILITY_UNSPECIFIED:
      return " (the driver cannot tell)";
    default:
      return "";
  }
}

std::vector<std::string> CapabilityNames(const kvd::StoreInfo& info) {
  std::vector<std::string> names;
  for (v1::Capability capability : info.capabilities) {
    names.push_back(
        ShortName(v1::Capability_Name(capability), "CAPABILITY_", capability));
  }
  return names;
}

}  // namespace

std::string DescribeText(const kvd::StoreInfo& info) {
  const std::vector<std::string> capabilities = CapabilityNames(info);
  return absl::StrCat(
      "name:          ", info.name, "\n",                      //
      "driver:        ", info.driver, "\n",                    //
      "durability:    ", DurabilityName(info.durability),      //
      DurabilityMeaning(info.durability), "\n",                //
      "revision:      ", info.revision, "\n",                  //
      "read-only:     ", info.read_only ? "yes" : "no", "\n",  //
      "capabilities:  ",                                       //
      capabilities.empty() ? "none" : absl::StrJoin(capabilities, " "),
      "\n",                                                     //
      "max key:       ", info.max_key_bytes, " bytes\n",        //
      "max value:     ", info.max_value_bytes, " bytes\n",      //
      "max batch:     ", info.max_batch_entries, " entries, ",  //
      info.max_batch_bytes, " bytes\n",
      // A kvd from before expiry and paged listing says neither.
      info.max_ttl.count() == 0
          ? ""
          : absl::StrCat("max ttl:       ",
                         absl::FormatDuration(absl::FromChrono(info.max_ttl)),
                         "\n"),
      info.max_page_size == 0
          ? ""
          : absl::StrCat("max page:      ", info.max_page_size, " keys\n"));
}

Json DescribeJson(absl::string_view store, const kvd::StoreInfo& info) {
  return Json{
      {"store", std::string(store)},
      {"name", info.name},
      {"driver", info.driver},
      {"durability", DurabilityName(info.durability)},
      {"revision", info.revision},
      {"read_only", info.read_only},
      {"capabilities", CapabilityNames(info)},
      {"limits",
       {{"max_key_bytes", info.max_key_bytes},
        {"max_value_bytes", info.max_value_bytes},
        {"max_batch_entries", info.max_batch_entries},
        {"max_batch_bytes", info.max_batch_bytes},
        {"max_ttl_ms", static_cast<uint64_t>(info.max_ttl.count())},
        {"max_page_size", info.max_page_size}}},
  };
}

}  // namespace kv::kvctl
