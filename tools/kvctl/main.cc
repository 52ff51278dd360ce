// kvctl: the operator's command-line client for kvd. See docs/kvctl.md.

#include "tools/kvctl/cli.h"

int main(int argc, char** argv) { return kv::kvctl::RunKvctl(argc, argv); }
