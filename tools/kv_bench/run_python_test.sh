#!/bin/bash
# Runs a Python test file with Debian's /usr/bin/python3 (the first python3
# on PATH may be another one). Usage: run_python_test.sh TEST.py [ARGS...]
exec /usr/bin/python3 "$@"
