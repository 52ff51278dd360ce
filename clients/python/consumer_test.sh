#!/usr/bin/env bash
# //clients/python:consumer_test: tests/test_consumer.py (the README's
# install instructions, followed outside the repository, offline) against
# one private kvd from clients/testing/with_kvd.sh.
#   consumer_test.sh WITH_KVD_SH
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: consumer_test.sh WITH_KVD_SH" >&2; exit 2; }
with_kvd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# Only the test module comes from here; the application imports kvd_client
# from the venvs the test makes.
unset PYTHONPATH
export PYTHONDONTWRITEBYTECODE=1
exec "$with_kvd" /usr/bin/python3 -m unittest -v tests.test_consumer
