"""Checks the include graph of service/'s rooms against ALLOWED.

A room is a folder of service/ (the core is service/ itself). A file may
include headers of its own room and of the rooms ALLOWED lists for it; the
table itself must be acyclic, so no two rooms can include each other.
"""
import os
import re
import subprocess
import sys

# Room -> the rooms it may include, lowest first. Mirrors the comment at the
# top of each room's BUILD.bazel.
ALLOWED = {
    'errors': set(),
    'access': {'errors'},
    'telemetry': {'errors'},
    'core': {'errors', 'access', 'telemetry'},
    'config': {'errors', 'access', 'core'},
    'kvd': {'errors', 'access', 'telemetry', 'core', 'config'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"service/([^"]+)"', re.M)


def room_of(path):
    """The room of a path under service/ ('service/access/tls.h' -> 'access')."""
    parts = path.split('/')
    if parts[0] != 'service':
        return None
    return parts[1] if len(parts) > 2 else 'core'


def check_table_is_acyclic():
    state = {}

    def visit(room, trail):
        if state.get(room) == 'done':
            return None
        if state.get(room) == 'active':
            return trail + [room]
        state[room] = 'active'
        for lower in sorted(ALLOWED[room]):
            cycle = visit(lower, trail + [room])
            if cycle:
                return cycle
        state[room] = 'done'
        return None

    for room in sorted(ALLOWED):
        cycle = visit(room, [])
        if cycle:
            return ['ALLOWED has a cycle: ' + ' -> '.join(cycle)]
    return []


def main(root):
    os.chdir(root)
    files = subprocess.check_output(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard',
         '--', '*.cc', '*.h'], text=True).split()
    problems = check_table_is_acyclic()
    checked = 0
    for path in sorted(set(files)):
        if not os.path.isfile(path):
            continue
        mine = room_of(path)
        under_store = path.startswith('store/')
        if mine is None and not under_store:
            continue
        checked += 1
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for number, line in enumerate(text.splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = room_of('service/' + match.group(1))
            if under_store:
                problems.append('%s:%d: store/ includes service/ (%s); a driver '
                                'knows no service' % (path, number, line.strip()))
            elif target not in ALLOWED:
                problems.append('%s:%d: includes a header of no known room: %s'
                                % (path, number, line.strip()))
            elif target != mine and target not in ALLOWED[mine]:
                problems.append(
                    '%s:%d: room "%s" may not include room "%s" (%s); it may '
                    'include: %s' % (path, number, mine, target, line.strip(),
                                     ', '.join(sorted(ALLOWED[mine])) or 'none'))
        if mine is not None and mine not in ALLOWED:
            problems.append('%s: service/%s/ is not a known room; add it to '
                            'ALLOWED in tests/layering/layering.py' % (path, mine))
    if problems:
        print('FAIL: %d layering problem(s) in %d files:' % (len(problems), checked))
        for p in problems:
            print('  ' + p)
        return 1
    print('PASS: %d files under service/ and store/ include only downward' % checked)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
