#include "tools/kvctl/cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/cpp/store.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"
#include "tools/kvctl/byte_io.h"
#include "tools/kvctl/commands.h"
#include "tools/kvctl/error_report.h"
#include "tools/kvctl/exit_code.h"
#include "tools/kvctl/expiry_text.h"
#include "tools/kvctl/health.h"
#include "tools/kvctl/key_listing.h"
#include "tools/kvctl/number_args.h"
#include "tools/kvctl/progress.h"
#include "tools/kvctl/transfer.h"

namespace kv::kvctl {
namespace {

constexpr char kDescription[] =
    "kvctl: read and write the key-value stores of a kvd server.\n"
    "Each command opens the store, does its call (one, except for export\n"
    "and import), and closes the handle.";

constexpr char kFooter[] =
    R"(Examples:
  kvctl set greeting hello
  kvctl get greeting
  kvctl --store cache set page --file page.html
  tar c dir | kvctl set backup -
  kvctl --addr unix:/run/kvd.sock keys
  kvctl exists greeting && echo present
  kvctl set --ttl 30m session:42 "$TOKEN"
  kvctl keys --prefix user/ --limit 10
  kvctl --store default export --output dump.jsonl
  kvctl --store orders import --input dump.jsonl
  kvctl --json get greeting
  kvctl incr visits; kvctl incr stock -3
  rev=$(kvctl get --revision config | head -n 1)
  kvctl set --if-revision "$rev" config new-text
  kvctl set --create-only lock "$HOSTNAME"
  kvctl describe
  kvctl --addr unix:/run/kvd/kvd.sock health --service kvd.ready

Exit codes:
  0  success
  1  key not found: get of a missing key, or exists printed false
  2  usage error: bad arguments
  3  kvd refused the request: NO_SUCH_STORE, ACCESS_DENIED, INVALID_STORE,
     STORE_TABLE_FULL, IO, a bad key, or any other error kvd returned
  4  kvd could not be reached, or did not answer within --timeout
  5  local I/O error: reading --file, --input or stdin, or writing stdout
     or --output
  6  import: the input is not in the export format (the message names the
     line)
  7  a conditional write failed: set --if-revision/--create-only or delete
     --if-revision found the key at another revision (the message ends
     with its current revision); nothing was written
health: 0 SERVING, 1 NOT_SERVING, 3 SERVICE_UNKNOWN (or another refusal),
  4 kvd could not be reached

Environment:
  KVD_ADDR   the default for --addr
  KVD_TOKEN  the bearer token, when --token-file is not given

Errors go to stderr as one line: kvctl: <what>: <kvd's message> (<gRPC code>).

--json: every command prints one JSON document on stdout, e.g.
  get     {"key":"k","store":"default","value":"hi","value_base64":"aGk="}
          ("value" is null when the bytes are not UTF-8; --revision adds
          "revision":N; a key that expires has "expire_time":"RFC 3339")
  set, delete  {"key":"k","ok":true,"revision":12,"store":"default"}
  incr    {"key":"k","revision":13,"store":"default","value":42}
  exists  {"exists":true,"key":"k","store":"default"}
  keys    {"keys":["a","b"],"store":"default"}
  describe  {"capabilities":[...],"driver":"sqlite","durability":"DISK",
             "limits":{...},"name":"default","read_only":false,
             "revision":13,"store":"default"}
  health  {"service":"kvd.ready","status":"SERVING"}
  import, export --output  a summary {"command":"import","keys":6,...}
and errors go to stderr as one JSON line, with the same exit codes:
  {"error":{"current_revision":null,"error_code":"NO_SUCH_KEY","exit_code":1,
            "grpc_code":"NOT_FOUND","message":"...","server_message":"..."}}
  ("current_revision" is the key's revision after a failed condition)
Run 'kvctl COMMAND --help' for a command's options.)";

// Accepts a positive duration with a unit: 500ms, 5s, 1m, 1.5s.
CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        absl::Duration duration;
        if (!absl::ParseDuration(text, &duration)) {
          return "not a duration with a unit, such as 500ms, 5s or 1m: " + text;
        }
        if (duration <= absl::ZeroDuration()) {
          return "must be more than zero: " + text;
        }
        return "";
      },
      "DURATION");
}

// Accepts what `parse` (number_args.h) accepts. Its error, less the "WHAT: "
// that CLI11 puts in front itself, is CLI11's message.
template <typename Parse>
CLI::Validator NumberValidator(const std::string& what, const std::string& type,
                               Parse parse) {
  return CLI::Validator(
      [what, parse](std::string& text) -> std::string {
        auto parsed = parse(what, text);
        if (parsed.ok()) return "";
        return std::string(
            absl::StripPrefix(parsed.status().message(), what + ": "));
      },
      type);
}

// kvctl's style for CLI11's errors: prefixed like every other message.
std::string FailureMessage(const CLI::App* app, const CLI::Error& error) {
  return "kvctl: " + CLI::FailureMessage::simple(app, error);
}

// The token in `path`, without its trailing newline(s).
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  absl::StatusOr<std::string> token = ReadFile(path);
  if (!token.ok()) return token;
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) {
    token->pop_back();
  }
  if (token->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file ", path, " is empty"));
  }
  return token;
}

// Ends every subcommand's help.
constexpr char kGlobalOptionsNote[] =
    "\n\nThe global options --addr, --store, --timeout, --json, --tls, "
    "--tls-ca,\n--tls-cert, --tls-key and --token-file go before or after "
    "the command.\n'kvctl --help' lists them, the JSON shapes and the exit "
    "codes.";

// Whether --json is among the arguments (before any "--", after which
// everything is a key or value), as CLI11 would read it. Known before
// parsing, so that a usage error is reported as JSON too.
bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

// Adds a subcommand whose help ends with `footer` and kGlobalOptionsNote.
CLI::App* AddCommand(CLI::App& app, const std::string& name,
                     const std::string& summary, const std::string& footer) {
  CLI::App* command = app.add_subcommand(name, summary);
  command->footer(footer + kGlobalOptionsNote);
  return command;
}

// Adds the required KEY positional to `command`.
void AddKey(CLI::App& command, std::string& key) {
  command
      .add_option("KEY", key,
                  "the key (use -- before a key starting "
                  "with -)")
      ->required();
}

}  // namespace

int RunKvctl(int argc, char** argv) {
  CLI::App app(kDescription, "kvctl");
  app.footer(kFooter);
  app.failure_message(FailureMessage);
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `kvctl get k --store s`.
  app.fallthrough();

  std::string address = "127.0.0.1:50051";
  app.add_option("--addr", address, "kvd's address: HOST:PORT or unix:/PATH")
      ->envname("KVD_ADDR")
      ->capture_default_str();
  std::string store = "default";
  app.add_option("-s,--store", store, "the store to use")
      ->capture_default_str();
  std::string timeout = "10s";
  app.add_option("--timeout", timeout,
                 "deadline of each call to kvd, e.g. 500ms, 5s, 1m")
      ->check(DurationValidator())
      ->capture_default_str();

  bool tls = false;
  app.add_flag("--tls", tls,
               "use TLS, checking kvd's certificate against the system's "
               "roots (or --tls-ca)");
  std::string tls_ca;
  app.add_option("--tls-ca", tls_ca,
                 "PEM file of the CA that signed kvd's certificate (implies "
                 "--tls)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  std::string tls_cert;
  CLI::Option* tls_cert_option =
      app.add_option("--tls-cert", tls_cert,
                     "PEM client certificate, for mutual TLS (needs "
                     "--tls-key; implies --tls)")
          ->type_name("FILE")
          ->check(CLI::ExistingFile);
  std::string tls_key;
  CLI::Option* tls_key_option =
      app.add_option("--tls-key", tls_key,
                     "PEM private key of --tls-cert (needs --tls-cert)")
          ->type_name("FILE")
          ->check(CLI::ExistingFile);
  tls_cert_option->needs(tls_key_option);
  tls_key_option->needs(tls_cert_option);
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "send the token in this file as 'authorization: Bearer "
                 "TOKEN' (default: $KVD_TOKEN)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  bool json = false;
  app.add_flag("--json", json,
               "print each result as one JSON document on stdout and errors "
               "as JSON on stderr (shapes below)");

  std::string key;

  CLI::App* get = AddCommand(
      app, "get", "print the value of a key",
      "Writes the value's bytes to stdout exactly as stored, adding a newline "
      "only\nwhen stdout is a terminal. Exits 1 if the key does not exist. "
      "With --revision,\nthe key's revision comes first, on a line of its "
      "own. On a terminal, a key that\nexpires also shows \"expires TIME\" "
      "after the value; --expire-time prints the\ntime (or \"never\") on a "
      "line before the value.\n\n"
      "Examples:\n"
      "  kvctl get greeting\n"
      "  kvctl --store cache get page > page.html\n"
      "  kvctl get --revision config     # 12, then the value\n"
      "  kvctl get --expire-time session # 2026-12-02T01:32:00.123Z or "
      "never, then\n                                  # the value");
  AddKey(*get, key);
  GetOptions get_options;
  get->add_flag("--revision", get_options.revision,
                "print the key's revision (the write that last changed it) "
                "on a line before the value");
  get->add_flag("--expire-time", get_options.expire_time,
                "print when the key expires (RFC 3339, UTC), or \"never\", "
                "on a line before the value (after --revision's)");

  CLI::App* set = AddCommand(
      app, "set", "store a value under a key",
      "Replaces any previous value. The value is stored byte for byte.\n"
      "With --if-revision N it writes only if the key is at revision N, and "
      "with\n--create-only only if the key does not exist; either prints the "
      "revision\nwritten, or exits 7, naming the key's current revision, and "
      "writes nothing.\n\n"
      "Examples:\n"
      "  kvctl set greeting hello\n"
      "  kvctl set page --file page.html\n"
      "  printf 'a\\0b' | kvctl set binary -\n"
      "  kvctl set --if-revision 12 config new-text\n"
      "  kvctl set --create-only lock \"$HOSTNAME\"\n"
      "  kvctl set --ttl 30m session:42 \"$TOKEN\"\n"
      "  kvctl set --create-only --ttl 10s lock \"$HOSTNAME\"   # a lease");
  AddKey(*set, key);
  std::string value;
  CLI::Option* value_option = set->add_option(
      "VALUE", value, "the value; - reads it from stdin (binary-safe)");
  std::string file;
  CLI::Option* file_option =
      set->add_option("-f,--file", file, "read the value from this file")
          ->check(CLI::ExistingFile)
          ->excludes(value_option);
  set->callback([value_option, file_option] {
    if (value_option->count() == 0 && file_option->count() == 0) {
      throw CLI::RequiredError("VALUE or --file");
    }
  });
  std::string set_if_revision;
  CLI::Option* set_if_revision_option =
      set->add_option("--if-revision", set_if_revision,
                      "write only if the key is at revision N (0: only if "
                      "it does not exist)")
          ->check(NumberValidator("--if-revision", "N", ParseUint64Arg));
  bool create_only = false;
  set->add_flag("--create-only", create_only,
                "write only if the key does not exist (--if-revision 0)")
      ->excludes(set_if_revision_option);
  std::string ttl;
  CLI::Option* ttl_option =
      set->add_option("--ttl", ttl,
                      "the key expires this long after the write: a "
                      "duration with a unit, e.g. 500ms, 30s, 5m, 24h, 1h30m "
                      "(at least 1ms; at most the store's max ttl, see "
                      "describe). Without it the key never expires")
          ->check(CLI::Validator(
              [](std::string& text) -> std::string {
                absl::StatusOr<std::chrono::milliseconds> parsed =
                    ParseTtl("--ttl", text);
                if (parsed.ok()) return "";
                return std::string(
                    absl::StripPrefix(parsed.status().message(), "--ttl: "));
              },
              "DURATION"));

  CLI::App* del = AddCommand(
      app, "delete", "delete a key",
      "Deleting a key that does not exist succeeds. With --if-revision N it "
      "deletes\nonly if the key is at revision N, and prints the delete's "
      "revision, or exits 7,\nnaming the key's current revision.\n\n"
      "Examples:\n"
      "  kvctl delete greeting\n"
      "  kvctl delete --if-revision 12 lock");
  AddKey(*del, key);
  std::string delete_if_revision;
  CLI::Option* delete_if_revision_option =
      del->add_option("--if-revision", delete_if_revision,
                      "delete only if the key is at revision N")
          ->check(NumberValidator("--if-revision", "N", ParseUint64Arg));

  CLI::App* incr = AddCommand(
      app, "incr", "add to a counter and print its new value",
      "Adds DELTA (default 1; may be negative) to the integer under KEY, "
      "atomically,\nand prints the result. A missing key counts as 0. The "
      "value is stored as\ndecimal text, so `get` prints it. A value that is "
      "not such an integer, or a\nresult outside the 64-bit range, is "
      "refused (exit 3) and leaves it unchanged.\n\n"
      "Examples:\n"
      "  kvctl incr visits\n"
      "  kvctl incr stock -3\n"
      "  kvctl --json incr visits | jq .value");
  AddKey(*incr, key);
  std::string delta = "1";
  incr->add_option("DELTA", delta, "what to add (default 1)")
      ->check(NumberValidator("DELTA", "INTEGER", ParseInt64Arg));

  CLI::App* describe = AddCommand(
      app, "describe", "show what the store is and can do",
      "Prints the store's name, driver, durability, current revision, "
      "whether the\nhandle is read-only, its capabilities and its limits.\n\n"
      "Examples:\n"
      "  kvctl describe\n"
      "  kvctl --json --store cache describe | jq .limits");

  CLI::App* exists =
      AddCommand(app, "exists", "print true or false: is the key set?",
                 "Prints true and exits 0, or prints false and exits 1.\n\n"
                 "Example:\n"
                 "  kvctl exists greeting || kvctl set greeting hello");
  AddKey(*exists, key);

  CLI::App* keys = AddCommand(
      app, "keys", "list the keys, one per line, in byte order",
      "Streams the keys a page (one ListKeys call) at a time, printing each "
      "page as it\narrives, so any number of keys can be listed. With "
      "--progress, or when stderr\nis a terminal, a line every 2 s on stderr "
      "gives the keys so far and the rate.\n\n"
      "Examples:\n"
      "  kvctl --store cache keys | wc -l\n"
      "  kvctl keys --prefix user/ --limit 10\n"
      "  kvctl keys --prefix 'log/2026-' --page-size 10000 > keys.txt");
  KeysOptions keys_options;
  keys->add_option("-p,--prefix", keys_options.prefix,
                   "only keys that start with this text (byte for byte: no "
                   "character is special)")
      ->type_name("TEXT");
  std::string keys_limit;
  CLI::Option* keys_limit_option =
      keys->add_option("-l,--limit", keys_limit, "stop after N keys")
          ->check(NumberValidator("--limit", "N", ParsePositiveArg));
  std::string page_size;
  CLI::Option* page_size_option =
      keys->add_option("--page-size", page_size,
                       "keys per ListKeys call (default: kvd's, 1000; kvd "
                       "lowers a larger one to its max_page_size)")
          ->check(NumberValidator("--page-size", "N", ParsePageSizeArg));
  bool keys_progress = false;
  keys->add_flag("--progress", keys_progress,
                 "progress lines on stderr even when it is not a terminal");
  bool keys_quiet = false;
  keys->add_flag("-q,--quiet", keys_quiet,
                 "no progress lines, even on a terminal")
      ->excludes("--progress");

  CLI::App* health = AddCommand(
      app, "health", "ask kvd's gRPC health service (grpc.health.v1 Check)",
      "Prints SERVING, NOT_SERVING or SERVICE_UNKNOWN: the answer Kubernetes' "
      "gRPC\nprobes get. Exits 0 only for SERVING; 1 for NOT_SERVING, 3 for "
      "SERVICE_UNKNOWN,\n4 if kvd cannot be reached. kvd answers \"\" (the "
      "server), \"kvd.ready\"\n(readiness: NOT_SERVING while draining) and "
      "\"store:NAME\" (a store's backend).\n\n"
      "Examples:\n"
      "  kvctl health\n"
      "  kvctl --addr unix:/run/kvd/kvd.sock health --service kvd.ready\n"
      "  kubectl exec POD -c kvd -- kvctl --addr unix:/run/kvd/kvd.sock "
      "health");
  std::string service;
  health
      ->add_option("--service", service,
                   "the service to ask about (default \"\": the server as a "
                   "whole)")
      ->type_name("NAME");

  bool quiet = false;
  constexpr char kQuietHelp[] = "no progress lines and no summary on stderr";

  CLI::App* exporter = AddCommand(
      app, "export", "write every key and value as JSON Lines",
      "One line per key, in key order:\n"
      "  {\"key\":\"greeting\",\"value\":\"aGVsbG8=\"}\n"
      "The value is standard base64, as in grpcurl's and buf curl's JSON. A "
      "key that\nexpires also has \"expire_time\":\"2026-12-02T01:32:00.123Z\""
      " (import restores it).\nStreams: lists a ListKeys page of keys at a "
      "time and reads its values with\nGetMany, so memory holds one page "
      "whatever the store's size; a key deleted\nmeanwhile is skipped and "
      "counted. Writes made during the export may be missed:\nstop writers "
      "first. --output is written under a temporary name and renamed\nwhen "
      "complete. Progress goes to stderr every 2 s.\n\n"
      "Examples:\n"
      "  kvctl export > dump.jsonl\n"
      "  kvctl --store default export --output dump.jsonl");
  std::string output;
  exporter
      ->add_option("-o,--output", output,
                   "write to this file instead of stdout")
      ->type_name("FILE");
  exporter->add_flag("-q,--quiet", quiet, kQuietHelp);

  CLI::App* importer = AddCommand(
      app, "import", "set every key of a JSON Lines export",
      "Reads what export writes and sets each key, in order, replacing "
      "existing\nvalues (other keys of the store are kept). A key with an "
      "expire_time gets the\nttl left until then (a key already expired is "
      "skipped and counted). Stops at\nthe first line that is not a valid "
      "record (exit 6) or whose set fails, naming\nthe line; the lines "
      "before it stay imported. --dry-run checks every line and\ncontacts "
      "no server.\n\n"
      "Examples:\n"
      "  kvctl --store orders import --input dump.jsonl\n"
      "  kvctl import --dry-run < dump.jsonl");
  std::string input;
  importer
      ->add_option("-i,--input", input, "read from this file instead of stdin")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  bool dry_run = false;
  importer->add_flag("-n,--dry-run", dry_run,
                     "only check the input; set nothing");
  importer->add_flag("-q,--quiet", quiet, kQuietHelp);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints help (exit 0) or the error; any failure is a usage error.
    // Help stays text with --json.
    if (error.get_exit_code() != 0 && WantsJson(argc, argv)) {
      return static_cast<int>(ReportError(
          stderr, /*json=*/true, absl::InvalidArgumentError(error.what()),
          ExitCode::kUsage));
    }
    return app.exit(error) == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }

  // kvctl reports every failure itself, in one line. Protobuf would also log
  // about e.g. a key that is not UTF-8, which kvd then rejects precisely.
  google::protobuf::SetLogHandler(nullptr);
  // Likewise gRPC, which logs e.g. a failed TLS handshake; the call's status
  // says what went wrong.
  gpr_set_log_function([](gpr_log_func_args*) {});

  absl::Duration deadline;
  absl::ParseDuration(timeout, &deadline);  // Checked by DurationValidator.
  CommandEnv env;
  env.options.address = address;
  env.options.timeout = deadline;
  // The files exist (checked by CLI11); one that cannot be read, or an empty
  // token, is still a usage error.
  env.options.use_tls = tls || !tls_ca.empty() || !tls_cert.empty();
  struct PemFile {
    const std::string& path;
    std::string& pem;
  };
  for (PemFile file : {PemFile{tls_ca, env.options.tls_root_certs_pem},
                       PemFile{tls_cert, env.options.tls_client_cert_pem},
                       PemFile{tls_key, env.options.tls_client_key_pem}}) {
    if (file.path.empty()) continue;
    absl::StatusOr<std::string> pem = ReadFile(file.path);
    if (!pem.ok()) {
      return static_cast<int>(
          ReportError(stderr, json, pem.status(), ExitCode::kUsage));
    }
    file.pem = *std::move(pem);
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken(token_file);
    if (!token.ok()) {
      return static_cast<int>(
          ReportError(stderr, json, token.status(), ExitCode::kUsage));
    }
    env.options.token = *std::move(token);
  } else if (const char* token = std::getenv("KVD_TOKEN"); token != nullptr) {
    env.options.token = token;
  }
  env.channel = kvd::NewChannel(env.options);
  env.store = store;
  env.in = stdin;
  env.out = stdout;
  env.err = stderr;
  env.out_is_terminal = isatty(STDOUT_FILENO) == 1;
  env.json = json;

  // Given or not; when given, already checked by NumberValidator.
  auto revision_of = [](const CLI::Option* option,
                        const std::string& text) -> std::optional<uint64_t> {
    if (option->count() == 0) return std::nullopt;
    return *ParseUint64Arg("--if-revision", text);
  };

  ExitCode code = ExitCode::kUsage;
  if (get->parsed()) {
    code = RunGet(env, key, get_options);
  } else if (set->parsed()) {
    ValueSource source{ValueSource::Kind::kLiteral, value};
    if (file_option->count() != 0) {
      source = {ValueSource::Kind::kFile, file};
    } else if (value == "-") {
      source = {ValueSource::Kind::kStdin, ""};
    }
    std::optional<uint64_t> if_revision =
        revision_of(set_if_revision_option, set_if_revision);
    if (create_only) if_revision = 0;
    std::optional<std::chrono::milliseconds> ttl_ms;
    if (ttl_option->count() != 0) ttl_ms = *ParseTtl("--ttl", ttl);
    code = RunSet(env, key, source, if_revision, ttl_ms);
  } else if (del->parsed()) {
    code = RunDelete(
        env, key, revision_of(delete_if_revision_option, delete_if_revision));
  } else if (incr->parsed()) {
    code = RunIncr(env, key, *ParseInt64Arg("DELTA", delta));
  } else if (describe->parsed()) {
    code = RunDescribe(env);
  } else if (exists->parsed()) {
    code = RunExists(env, key);
  } else if (keys->parsed()) {
    if (keys_limit_option->count() != 0) {
      keys_options.limit = *ParsePositiveArg("--limit", keys_limit);
    }
    if (page_size_option->count() != 0) {
      keys_options.page_size =
          static_cast<int32_t>(*ParsePageSizeArg("--page-size", page_size));
    }
    keys_options.progress.quiet =
        keys_quiet || !(keys_progress || isatty(STDERR_FILENO) == 1);
    keys_options.always_summarize = keys_progress;
    code = RunKeys(env, keys_options);
  } else if (health->parsed()) {
    code = RunHealth(env, service);
  } else if (exporter->parsed()) {
    ProgressOptions progress;
    progress.quiet = quiet;
    code = RunExport(env, output, progress);
  } else if (importer->parsed()) {
    ProgressOptions progress;
    progress.quiet = quiet;
    code = RunImport(env, input, dry_run, progress);
  }
  return static_cast<int>(code);
}

}  // namespace kv::kvctl
