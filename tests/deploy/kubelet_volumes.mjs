// What the kubelet makes of a Secret or ConfigMap volume, with plain files,
// symlinks and chown (the test runs as root). From the kubelet's
// AtomicWriter (pkg/volume/util/atomic_writer.go) and SetVolumeOwnership
// (pkg/volume/volume_linux.go):
//
//   DIR/                                  the volume (a tmpfs: drwxrwsrwt)
//   DIR/..2026_12_01_19_44_22.123456789/  the data, 0755 | fsGroup bits
//   DIR/..2026_12_01_19_44_22.123456789/KEY   mode: the item's mode, else
//                                         defaultMode (0644 if unset), plus
//                                         0440 with an fsGroup (a read-only
//                                         volume); owner root, group fsGroup
//   DIR/..data -> ..2026_12_01_19_44_22.123456789
//   DIR/KEY -> ..data/KEY                 one per key (or item path)
//
// An update writes a new timestamped directory, points a new `..data_tmp`
// at it, renames that over `..data` (the atomic swap) and removes the old
// directory. The per-key symlinks never change.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The files a Secret or ConfigMap volume holds: relative path → {bytes, mode}.
// `volume` is the pod's volume entry, `source` the Secret or ConfigMap.
export function payloadOf(volume, source) {
  const spec = volume.secret ?? volume.configMap;
  const data = {};
  for (const [key, value] of Object.entries(source.data ?? {})) {
    data[key] = volume.secret ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
  }
  for (const [key, value] of Object.entries(source.stringData ?? {})) {
    data[key] = Buffer.from(value, 'utf8');
  }
  for (const [key, value] of Object.entries(source.binaryData ?? {})) {
    data[key] = Buffer.from(value, 'base64');
  }
  const defaultMode = spec.defaultMode ?? 0o644;
  const items = spec.items ?? Object.keys(data).map(key => ({ key, path: key }));
  const payload = {};
  for (const item of items) {
    if (!(item.key in data)) throw new Error(`${source.kind} ${source.metadata.name} has no key ${item.key}`);
    payload[item.path] = { bytes: data[item.key], mode: item.mode ?? defaultMode };
  }
  return payload;
}

// The kubelet's group bits for an fsGroup on a read-only volume: files get
// 0440 added, directories 0440 | 0110 and setgid.
function own(file, fsGroup, isDir) {
  fs.lchownSync(file, 0, fsGroup ?? 0);
  if (fsGroup === undefined) return;
  const stat = fs.lstatSync(file);
  if (stat.isSymbolicLink()) return;
  const mode = stat.mode & 0o7777;
  fs.chmodSync(file, mode | 0o440 | (isDir ? 0o2110 : 0));
}

function timestampDirName() {
  const stamp = new Date().toISOString().replace(/[-T:]/g, '_').slice(0, 19);
  return `..${stamp}.${crypto.randomInt(1e9).toString().padStart(9, '0')}`;
}

// Writes `payload` into a new timestamped directory of `dir`, owned as the
// kubelet would before the swap.
function writeTimestampDir(dir, payload, fsGroup) {
  const name = timestampDirName();
  const tsDir = path.join(dir, name);
  fs.mkdirSync(tsDir);
  fs.chmodSync(tsDir, 0o755);
  own(tsDir, fsGroup, true);
  for (const [relative, { bytes, mode }] of Object.entries(payload)) {
    const file = path.join(tsDir, relative);
    for (let parent = path.dirname(file); parent !== tsDir; parent = path.dirname(parent)) {
      if (!fs.existsSync(parent)) {
        fs.mkdirSync(parent, { recursive: true });
        fs.chmodSync(parent, 0o755);
        own(parent, fsGroup, true);
      }
    }
    fs.writeFileSync(file, bytes);
    fs.chmodSync(file, mode);
    own(file, fsGroup, false);
  }
  return name;
}

// Points `dir/..data` at `name` atomically: a new symlink renamed over it.
function swapData(dir, name, fsGroup) {
  const tmp = path.join(dir, '..data_tmp');
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(name, tmp);
  own(tmp, fsGroup, false);
  fs.renameSync(tmp, path.join(dir, '..data'));
}

// Makes the volume at `dir` (created here) the first time.
export function materialise(dir, payload, fsGroup) {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o1777);
  own(dir, fsGroup, true);
  swapData(dir, writeTimestampDir(dir, payload, fsGroup), fsGroup);
  const tops = new Set(Object.keys(payload).map(p => p.split('/')[0]));
  for (const top of tops) {
    const link = path.join(dir, top);
    fs.symlinkSync(path.join('..data', top), link);
    own(link, fsGroup, false);
  }
}

// The kubelet's update after the Secret or ConfigMap changed: the same keys
// with new contents, swapped in at once; the old directory is removed.
export function update(dir, payload, fsGroup) {
  const old = fs.readlinkSync(path.join(dir, '..data'));
  swapData(dir, writeTimestampDir(dir, payload, fsGroup), fsGroup);
  fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}
