// //tests/deploy:dockerfile_test. No container engine runs here, so
// deploy/Dockerfile is checked statically (hadolint is in neither Debian
// nor npm):
//   - dockerfile-utils' linter (the one behind VS Code's Dockerfile support)
//     reports nothing;
//   - no `# syntax=` parser directive (BuildKit would fetch that frontend
//     image from a registry before step 1);
//   - the root .dockerignore (docker's classic builder, podman) is the same
//     as deploy/Dockerfile.dockerignore (BuildKit), so it excludes all that
//     one does;
//   - every stage is Debian 12 with a pinned tag; the build stage builds
//     //service/kvd:kvd the project's way (tools/setup.sh --build, Bazel) and
//     installs no test toolchain (no full setup, no npm); the runtime
//     stage is -slim, copies only the kvd binary, installs packages without
//     recommends and cleans the apt lists, runs as a numeric non-root user,
//     declares volumes for the data and the socket, and has a HEALTHCHECK
//     (or HEALTHCHECK NONE with the health port exposed for gRPC probes);
//   - no ADD, no URL, no "latest";
//   - the runtime packages are exactly the Debian packages of the shared
//     libraries the built kvd links (readelf + ldd + dpkg -S), minus those
//     every Debian image has.
// Usage: node dockerfile_test.mjs DOCKERFILE KVD_BINARY ROOT_DOCKERIGNORE DEPLOY_DOCKERIGNORE
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

const [dockerfilePath, kvdBinary, rootIgnorePath, deployIgnorePath, kvctlBinary] = process.argv.slice(2);
const text = fs.readFileSync(dockerfilePath, 'utf8');
const dockerfile = DockerfileParser.parse(text);

// In debian:12-slim already: apt (in every Debian image) depends on them.
const kBaseImagePackages = new Set(['libc6', 'libgcc-s1', 'libstdc++6', 'zlib1g']);

let failures = 0;
function check(name, fn) {
  try {
    fn();
    console.log(`ok   ${name}`);
  } catch (error) {
    failures++;
    console.log(`FAIL ${name}\n     ${error.message.split('\n').join('\n     ')}`);
  }
}

// The instructions of each stage, in order.
const stages = [];
for (const instruction of dockerfile.getInstructions()) {
  const keyword = instruction.getKeyword();
  if (keyword === 'FROM') stages.push({ from: instruction, instructions: [] });
  else if (stages.length > 0) stages.at(-1).instructions.push(instruction);
}
const runtime = stages.at(-1);
const build = stages.slice(0, -1);
const args = (i) => i.getArgumentsContent() ?? '';
const ofKind = (stage, keyword) => stage.instructions.filter(i => i.getKeyword() === keyword);
// The JSON-array form of CMD/ENTRYPOINT/VOLUME, or the plain arguments.
const words = (i) => {
  const content = args(i).trim();
  return content.startsWith('[') ? JSON.parse(content) : i.getArguments().map(a => a.getValue());
};

check('the linter (dockerfile-utils) reports nothing', () => {
  const diagnostics = validate(text);
  assert.deepEqual(diagnostics.map(d => `line ${d.range.start.line + 1}: ${d.message}`), []);
});
check('the linter does catch a broken Dockerfile', () => {
  assert.ok(validate('FROM debian:12.8\nCOPY\nEXPOSE not-a-port\n').length >= 2);
});
check('a multi-stage build: build stage(s), then the runtime stage', () => {
  assert.ok(stages.length >= 2, `${stages.length} stage(s)`);
});
check('every stage is Debian 12 with a pinned tag (no latest)', () => {
  for (const { from } of stages) {
    const image = from.getImageName();
    const tag = from.getImageTag();
    assert.equal(image, 'debian', `FROM ${from.getImage()}`);
    assert.match(tag ?? '', /^(12\.\d+|bookworm-\d{8})(-slim)?$/,
                 `FROM ${from.getImage()}: pin a Debian 12 point release, e.g. 12.8`);
  }
});
check('no "# syntax=" parser directive', () => {
  const lines = text.split('\n').map((l, n) => [n + 1, l]).filter(([, l]) => /^\s*#\s*syntax\s*=/i.test(l));
  assert.deepEqual(lines.map(([n, l]) => `line ${n}: ${l}`), []);
});
// The patterns of a .dockerignore file (no comments or blank lines).
const ignorePatterns = (file) => fs.readFileSync(file, 'utf8').split('\n')
    .map(l => l.trim()).filter(l => l && !l.startsWith('#'));
check('the root .dockerignore excludes everything deploy/Dockerfile.dockerignore does', () => {
  const root = new Set(ignorePatterns(rootIgnorePath));
  const deploy = ignorePatterns(deployIgnorePath);
  assert.ok(deploy.length > 0, 'deploy/Dockerfile.dockerignore has no patterns');
  assert.deepEqual(deploy.filter(p => !root.has(p)), [], 'patterns missing from .dockerignore');
  for (const p of ['.git', 'bazel-*', '**/node_modules']) assert.ok(root.has(p), `.dockerignore lacks ${p}`);
});
check('the two .dockerignore files are identical', () => {
  assert.equal(fs.readFileSync(rootIgnorePath, 'utf8'), fs.readFileSync(deployIgnorePath, 'utf8'));
});
// ${NAME} / $NAME in a build stage, replaced by the default of its ARG.
const argDefaults = new Map(build.flatMap(s => ofKind(s, 'ARG')).map(args)
    .map(a => a.trim().match(/^(\w+)=(\S+)$/)).filter(Boolean).map(m => [m[1], m[2]]));
const expand = (command) => command.replace(/\$\{?(\w+)\}?/g, (all, name) => argDefaults.get(name) ?? all);
check('the build stage builds //service/kvd:kvd with tools/setup.sh --build and Bazel', () => {
  const runs = build.flatMap(s => ofKind(s, 'RUN')).map(args).map(expand).join('\n');
  assert.match(runs, /tools\/setup\.sh --build/);
  assert.match(runs, /bazel build [^\n]*\/\/service\/kvd:kvd/);
});
check('the build stage installs no test toolchain: no full setup, no npm', () => {
  for (const run of build.flatMap(s => ofKind(s, 'RUN')).map(args)) {
    for (const m of run.matchAll(/tools\/setup\.sh([^&;|\n]*)/g)) {
      assert.match(m[1], /^\s*--build\b/, `full setup: ${m[0].trim()}`);
    }
    assert.doesNotMatch(run, /\bnpm\b|\bnode\b|apt-get install/, run);
  }
});
check('the runtime stage is debian slim', () => {
  assert.match(runtime.from.getImageTag(), /-slim$/);
});
check('no ADD, and no URL fetched anywhere', () => {
  for (const i of dockerfile.getInstructions()) {
    assert.notEqual(i.getKeyword(), 'ADD', `line ${i.getRange().start.line + 1}: ADD`);
    assert.doesNotMatch(args(i), /\b(curl|wget)\b|https?:\/\//, `line ${i.getRange().start.line + 1}`);
  }
});
check('the runtime stage copies only the kvd and kvctl binaries from the build stage', () => {
  const copies = ofKind(runtime, 'COPY');
  assert.equal(copies.length, 2, `${copies.length} COPY instructions`);
  const copied = copies.map(copy => {
    assert.ok(copy.getFromFlag(), 'COPY without --from');
    const [source, destination] = copy.getArguments().map(a => a.getValue());
    assert.equal(path.basename(source), path.basename(destination));
    return path.basename(source);
  });
  assert.deepEqual(copied, ['kvd', 'kvctl']);
});
let installed = [];
check('apt: no recommends, and the lists removed in the same step', () => {
  for (const run of ofKind(runtime, 'RUN').map(args)) {
    if (!/apt-get install/.test(run)) continue;
    assert.match(run, /--no-install-recommends/);
    assert.match(run, /rm -rf \/var\/lib\/apt\/lists\/\*/);
    installed.push(...run.slice(run.indexOf('apt-get install'))
                        .split(/&&/)[0].split(/\s+/)
                        .filter(w => w && !w.startsWith('-') && !['apt-get', 'install', '\\'].includes(w)));
  }
  assert.ok(installed.length > 0, 'no runtime packages installed');
});
check('runs as a numeric non-root user', () => {
  const users = ofKind(runtime, 'USER');
  assert.ok(users.length > 0, 'no USER');
  const [uid, gid] = args(users.at(-1)).trim().split(':');
  assert.match(uid, /^\d+$/, 'a numeric uid (Kubernetes runAsNonRoot can check it)');
  assert.notEqual(Number(uid), 0);
  if (gid !== undefined) assert.notEqual(Number(gid), 0);
});
check('volumes hold the data and the socket; the root filesystem is never written', () => {
  const volumes = ofKind(runtime, 'VOLUME').flatMap(words);
  const command = [...ofKind(runtime, 'ENTRYPOINT'), ...ofKind(runtime, 'CMD')].flatMap(words);
  const value = (name) => command.find(w => w.startsWith(`--${name}=`))?.slice(name.length + 3);
  const inVolume = (p) => volumes.some(v => p === v || p.startsWith(`${v}/`));
  const dataDir = value('data-dir');
  const socket = value('listen')?.replace(/^unix:/, '');
  assert.ok(dataDir && inVolume(dataDir), `--data-dir=${dataDir} is not in a VOLUME (${volumes})`);
  assert.ok(socket && inVolume(socket), `--listen=unix:${socket} is not in a VOLUME (${volumes})`);
});
check('a HEALTHCHECK, or HEALTHCHECK NONE with the gRPC health port exposed', () => {
  const checks = ofKind(runtime, 'HEALTHCHECK');
  assert.equal(checks.length, 1, 'no HEALTHCHECK instruction');
  if (args(checks[0]).trim() === 'NONE') {
    const command = [...ofKind(runtime, 'ENTRYPOINT'), ...ofKind(runtime, 'CMD')].flatMap(words);
    const port = command.find(w => w.startsWith('--health-listen='))?.split(':').pop();
    assert.ok(port, 'HEALTHCHECK NONE needs --health-listen for gRPC probes');
    const exposed = ofKind(runtime, 'EXPOSE').flatMap(i => i.getArguments().map(a => a.getValue()));
    assert.ok(exposed.includes(port), `port ${port} is not EXPOSEd`);
    assert.match(text, /readinessProbe:.*service: kvd\.ready/, 'document the probes');
  }
});

// The Debian package that ships `file`. dpkg knows each file by the path its
// package installed it at, which on a merged-/usr system may differ from
// the one ldd prints by the /usr prefix or a symlink.
function ownerPackage(file) {
  const real = fs.realpathSync(file);
  const candidates = new Set([real, file]);
  for (const p of [real, file]) {
    if (p.startsWith('/usr/lib/')) candidates.add(p.slice('/usr'.length));
    else if (p.startsWith('/lib/')) candidates.add(`/usr${p}`);
  }
  for (const candidate of candidates) {
    try {
      return execFileSync('dpkg', ['-S', candidate], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .split(':')[0];
    } catch {
      // Not under this name; try the next.
    }
  }
  return null;
}

// The Debian packages of the shared libraries kvd links directly.
function linkedPackages(binary) {
  const needed = execFileSync('readelf', ['-d', binary], { encoding: 'utf8' })
      .split('\n').map(l => l.match(/\(NEEDED\).*\[(.+)\]/)?.[1]).filter(Boolean);
  const resolved = new Map(execFileSync('ldd', [binary], { encoding: 'utf8' })
      .split('\n').map(l => l.trim().match(/^(\S+) => (\S+)/)).filter(Boolean)
      .map(m => [m[1], m[2]]));
  const packages = new Map();  // package → sonames
  for (const soname of needed) {
    if (soname.startsWith('ld-linux')) continue;  // the loader, in libc6
    const file = resolved.get(soname);
    assert.ok(file, `ldd does not resolve ${soname}`);
    const owner = ownerPackage(file);
    assert.ok(owner, `no Debian package owns ${file}`);
    packages.set(owner, [...(packages.get(owner) ?? []), soname]);
  }
  return packages;
}
check('runtime packages = the Debian packages of the libraries kvd links', () => {
  const linked = linkedPackages(kvdBinary);
  const needed = [...linked.keys()].filter(p => !kBaseImagePackages.has(p)).sort();
  console.log(`     kvd links ${[...linked.values()].flat().length} libraries from: ${[...linked.keys()].sort().join(' ')}`);
  const have = [...installed].sort();
  const missing = needed.filter(p => !have.includes(p));
  const extra = have.filter(p => !needed.includes(p));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] },
                   `missing: for ${missing.map(p => `${p} (${linked.get(p).join(', ')})`).join('; ')}`);
});

check('kvctl, which the image ships beside kvd, needs no package kvd does not', () => {
  const linked = linkedPackages(kvctlBinary);
  const missing = [...linked.keys()]
      .filter(p => !kBaseImagePackages.has(p) && !installed.includes(p)).sort();
  assert.deepEqual(missing, [], `kvctl links libraries of: ${missing.join(', ')}`);
});

console.log(failures === 0 ? 'PASS' : `FAIL: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
