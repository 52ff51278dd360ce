#!/usr/bin/env bash
# Fails if any .cc/.h file of the work tree is not clang-format clean.
# Usage (from Bazel): clang_format_test.sh PATH/TO/.clang-format
# (also runs by hand: tests/format/clang_format_test.sh .clang-format)
set -euo pipefail

style_file="$(readlink -f "$1")"
root="$(dirname "$style_file")"
cd "$root"

if git -C "$root" rev-parse --show-toplevel >/dev/null 2>&1; then
  # Tracked and untracked files, minus what .gitignore excludes (bazel-*, node_modules).
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' | sort -u)
else
  mapfile -t files < <(find . \( -name 'bazel-*' -o -name node_modules -o -name .git \) -prune \
    -o -type f \( -name '*.cc' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
# A file deleted from the work tree but still in the index is not there to check.
present=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] && present+=("$f")
done

echo "$(clang-format --version); style from $style_file"
echo "checking ${#present[@]} files under $root"
if [[ ${#present[@]} -eq 0 ]]; then
  echo "PASS: no .cc/.h files"
  exit 0
fi
bad=()
for f in "${present[@]}"; do
  clang-format --style=file --dry-run --Werror "$f" || bad+=("$f")
done
if [[ ${#bad[@]} -eq 0 ]]; then
  echo "PASS: ${#present[@]} files are clang-format clean"
  exit 0
fi
echo "FAIL: ${#bad[@]} of ${#present[@]} files are not clang-format clean:" >&2
printf '  %s\n' "${bad[@]}" >&2
echo "fix with: clang-format -i ${bad[*]}" >&2
exit 1
