// //tests/deploy:manifests_test. Checks deploy/kubernetes/:
//   1. every YAML document validates against the Kubernetes schemas, with
//      the matching class of the npm package kubernetes-models (ajv);
//   2. the pod is the sidecar docs/kubernetes.md describes: kvd as a native
//      sidecar (an init container with restartPolicy Always), gRPC probes on
//      the health service, resources, a locked-down securityContext, a
//      socket volume shared with the app, the config from a ConfigMap and
//      the tokens from a Secret;
//   3. the ConfigMap's kvd.toml is valid TOML that kvd's own config parser
//      accepts, and its [[client]] grants name defined stores and token
//      files that the Secret provides;
//   4. the pod at run time: every Secret and ConfigMap volume materialised
//      as the kubelet does (kubelet_volumes.mjs: a timestamped directory,
//      `..data`, per-key symlinks, root:fsGroup, defaultMode plus the
//      fsGroup's group-read bit), the real kvd started on it as the pod's
//      user with the fsGroup as a supplementary group and the Deployment's
//      own args and env, a token from the Secret accepted; the token rotated
//      by the kubelet's `..data` swap and picked up without a signal; and,
//      as a control, a token file readable by others refused at startup.
// Must run as root (chown, setpriv). Manifests are parsed as YAML 1.1, as
// Kubernetes does, so `defaultMode: 0440` is octal.
// Usage: node manifests_test.mjs CONFIG_CHECK KVD KVCTL MANIFEST.yaml...
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { materialise, payloadOf, update } from './kubelet_volumes.mjs';

const [configCheck, kvdBinary, kvctlBinary, ...files] = process.argv.slice(2);
assert.ok(files.length > 0, 'no manifests given');

// apiVersion → the kubernetes-models module of that group and version:
// "v1" → kubernetes-models/v1, "apps/v1" → kubernetes-models/apps/v1.
const modelModule = (apiVersion) => `kubernetes-models/${apiVersion}`;

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

// 1. Schemas.
const objects = [];
for (const file of files) {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' });
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      failures++;
      console.log(`FAIL ${file}: YAML: ${doc.errors.map(e => e.message).join('; ')}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;  // An empty document.
    const name = `${path.basename(file)}: ${object.kind}/${object.metadata?.name}`;
    let Model;
    try {
      Model = (await import(modelModule(object.apiVersion)))[object.kind];
    } catch (error) {
      Model = undefined;
    }
    check(`${name} matches the ${object.apiVersion} ${object.kind} schema`, () => {
      assert.ok(Model, `kubernetes-models has no ${object.apiVersion} ${object.kind}`);
      new Model(object).validate();
    });
    objects.push(object);
  }
}

// The validator itself must catch a broken object, or the checks above
// prove nothing. (kubernetes-models checks types and required fields; it
// does not reject unknown fields or enum values, which the checks below
// cover for the fields that matter.)
{
  const { Deployment } = await import('kubernetes-models/apps/v1');
  const deployment = objects.find(o => o.kind === 'Deployment');
  check('kubernetes-models rejects a Deployment without a selector', () => {
    const broken = structuredClone(deployment);
    delete broken.spec.selector;
    assert.throws(() => new Deployment(broken).validate(), /selector/);
  });
  check('kubernetes-models rejects a probe port that is not a number', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.initContainers[0].readinessProbe.grpc.port = 'health';
    assert.throws(() => new Deployment(broken).validate(), /must be integer/);
  });
}

const find = (kind) => {
  const found = objects.filter(o => o.kind === kind);
  assert.equal(found.length, 1, `expected exactly one ${kind}, found ${found.length}`);
  return found[0];
};

// 2. The sidecar.
const deployment = find('Deployment');
const pod = deployment.spec.template.spec;
const kvd = (pod.initContainers ?? []).find(c => c.name === 'kvd');
const apps = pod.containers ?? [];
const volumeOf = (name) => pod.volumes.find(v => v.name === name);
const mountAt = (container, dir) =>
  (container.volumeMounts ?? []).find(m => m.mountPath === dir);
const flag = (container, name) => {
  const arg = (container.args ?? []).find(a => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
};

check('kvd is a native sidecar: an init container with restartPolicy Always', () => {
  assert.ok(kvd, 'no init container named kvd');
  assert.equal(kvd.restartPolicy, 'Always');
});
check('the app is a regular container', () => {
  assert.ok(apps.length >= 1, 'no app container');
  assert.ok(!apps.some(c => c.name === 'kvd'), 'kvd must not be a regular container');
});
check('kvd serves its API on a unix socket in an emptyDir shared with the app', () => {
  const listen = flag(kvd, 'listen');
  assert.match(listen ?? '', /^unix:\//, `--listen=${listen}`);
  const socketDir = path.dirname(listen.slice('unix:'.length));
  const mount = mountAt(kvd, socketDir);
  assert.ok(mount, `kvd mounts nothing at ${socketDir}`);
  assert.ok(volumeOf(mount.name)?.emptyDir, `${mount.name} is not an emptyDir`);
  for (const app of apps) {
    const appMount = mountAt(app, socketDir);
    assert.equal(appMount?.name, mount.name, `${app.name} does not mount ${mount.name} at ${socketDir}`);
    const addr = (app.env ?? []).find(e => e.name === 'KVD_ADDR')?.value;
    assert.equal(addr, listen, `${app.name}'s KVD_ADDR`);
  }
});
check('SQLite data lives on a volume (emptyDir or PersistentVolumeClaim)', () => {
  const mount = mountAt(kvd, '/var/lib/kvd');
  assert.ok(mount, 'kvd mounts nothing at /var/lib/kvd');
  const volume = volumeOf(mount.name);
  assert.ok(volume.emptyDir || volume.persistentVolumeClaim, `${mount.name}: neither emptyDir nor PVC`);
  if (volume.persistentVolumeClaim) {
    const claim = find('PersistentVolumeClaim');
    assert.equal(claim.metadata.name, volume.persistentVolumeClaim.claimName);
    if (claim.spec.accessModes.includes('ReadWriteOnce')) {
      assert.ok(deployment.spec.replicas === 1 && deployment.spec.strategy?.type === 'Recreate',
                'a ReadWriteOnce SQLite volume needs replicas 1 and the Recreate strategy');
    }
  }
});
check('gRPC liveness and readiness probes on the health port', () => {
  const healthPort = Number(flag(kvd, 'health-listen')?.split(':').pop());
  assert.ok(healthPort > 0, '--health-listen with a port is needed for gRPC probes');
  assert.ok((kvd.ports ?? []).some(p => p.containerPort === healthPort), 'health port not declared');
  assert.equal(kvd.livenessProbe?.grpc?.port, healthPort, 'livenessProbe.grpc.port');
  assert.ok(!kvd.livenessProbe.grpc.service, 'liveness asks for the overall service ""');
  assert.equal(kvd.readinessProbe?.grpc?.port, healthPort, 'readinessProbe.grpc.port');
  assert.equal(kvd.readinessProbe.grpc.service, 'kvd.ready');
});
check('kvd stops within the pod\'s grace period', () => {
  const timeout = flag(kvd, 'shutdown-timeout');
  assert.match(timeout ?? '', /^\d+s$/, `--shutdown-timeout=${timeout}`);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  assert.ok(parseInt(timeout, 10) < grace, `--shutdown-timeout=${timeout} is not below ${grace}s`);
});
check('resources: requests and a memory limit for every container', () => {
  for (const c of [kvd, ...apps]) {
    assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${c.name}: requests`);
    assert.ok(c.resources?.limits?.memory, `${c.name}: memory limit`);
  }
});
check('securityContext: non-root, no privilege escalation, no capabilities, read-only root', () => {
  for (const c of [kvd, ...apps]) {
    const s = c.securityContext ?? {};
    assert.equal(s.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation`);
    assert.equal(s.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
    assert.equal(s.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, `${c.name}: runAsNonRoot`);
    assert.deepEqual(s.capabilities?.drop, ['ALL'], `${c.name}: capabilities.drop`);
    assert.ok(!s.privileged, `${c.name}: privileged`);
  }
  const uid = kvd.securityContext.runAsUser ?? pod.securityContext?.runAsUser;
  assert.ok(uid > 0, 'kvd runs as a non-zero uid');
});

// 3. The config and the tokens.
const configMap = find('ConfigMap');
const secret = find('Secret');
const configDir = path.dirname(flag(kvd, 'config') ?? '');
let config;
check('kvd reads kvd.toml from the ConfigMap', () => {
  assert.equal(flag(kvd, 'config'), `${configDir}/kvd.toml`);
  const mount = mountAt(kvd, configDir);
  assert.equal(volumeOf(mount?.name)?.configMap?.name, configMap.metadata.name);
  assert.ok(configMap.data['kvd.toml'], 'the ConfigMap has no kvd.toml');
});
check('kvd.toml is valid TOML', () => {
  config = parseToml(configMap.data['kvd.toml']);
});
check('kvd.toml: [[client]] grants name defined stores and tokens from the Secret', () => {
  const stores = Object.keys(config.key_value_store ?? {});
  const clients = config.client ?? [];
  assert.ok(clients.length > 0, 'no [[client]]');
  const tokenKeys = Object.keys({ ...secret.data, ...secret.stringData });
  for (const client of clients) {
    for (const store of client.key_value_stores) {
      assert.ok(stores.includes(store) || store === 'default', `${client.name}: undefined store ${store}`);
    }
    const dir = path.dirname(client.token_file);
    const mount = mountAt(kvd, dir);
    assert.equal(volumeOf(mount?.name)?.secret?.secretName, secret.metadata.name,
                 `${client.token_file} is not in the Secret's mount`);
    assert.ok(tokenKeys.includes(path.basename(client.token_file)),
              `the Secret has no key ${path.basename(client.token_file)}`);
  }
});
// 4. The pod at run time, on the kubelet's volume layout.
assert.equal(process.getuid(), 0, 'this test must run as root (chown, setpriv)');
const podSecurity = pod.securityContext ?? {};
const runAsUser = kvd.securityContext?.runAsUser ?? podSecurity.runAsUser;
const runAsGroup = kvd.securityContext?.runAsGroup ?? podSecurity.runAsGroup ?? runAsUser;
const fsGroup = podSecurity.fsGroup;
const supplementalGroups = [...new Set([fsGroup, ...(podSecurity.supplementalGroups ?? [])]
  .filter(g => g !== undefined))];

check('Secret volumes use defaultMode 0440 (octal) and the pod sets an fsGroup', () => {
  assert.ok(fsGroup > 0, 'pod.securityContext.fsGroup');
  for (const volume of pod.volumes.filter(v => v.secret)) {
    assert.equal(volume.secret.defaultMode, 0o440,
                 `${volume.name}: defaultMode ${volume.secret.defaultMode?.toString(8)}`);
  }
});
check('kvd re-reads its token files without a signal (--token-reload-interval)', () => {
  const interval = flag(kvd, 'token-reload-interval');
  assert.match(interval ?? '', /^[1-9]\d*s$/, `--token-reload-interval=${interval}`);
  assert.ok(parseInt(interval, 10) <= 60, 'a rotated token should apply within a minute');
});

// Every file system path of the kvd container lives under ROOT/kvd, the
// app container's under ROOT/app (each container sees its own mounts).
// /tmp, not the test's temporary directory, which the pod's user cannot
// reach (it is under /root).
const root = fs.mkdtempSync('/tmp/kvd-pod-');
fs.chmodSync(root, 0o755);
const mountPaths = (kvd.volumeMounts ?? []).map(m => m.mountPath);
// A path of the kvd container, moved under `base`; other text unchanged.
const rewritePath = (value, base) => {
  for (const mountPath of mountPaths) {
    if (value === mountPath || value.startsWith(`${mountPath}/`)) return `${base}${value}`;
  }
  return value;
};
// An argument or variable as kvd gets it here: paths under `base`, and
// every listener on loopback with a port of its own choosing.
const rewriteValue = (value, base) => {
  const unix = value.match(/^(.*unix:)(\/.*)$/);
  if (unix) return `${unix[1]}${rewritePath(unix[2], base)}`;
  const hostPort = value.match(/^(--[a-z-]+=)?(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]*\]|localhost):\d+$/);
  if (hostPort) return `${hostPort[1] ?? ''}127.0.0.1:0`;
  const pathArg = value.match(/^(--[a-z-]+=)(\/.*)$/);
  if (pathArg) return `${pathArg[1]}${rewritePath(pathArg[2], base)}`;
  return rewritePath(value, base);
};
// The ConfigMap with the kvd container's absolute paths in kvd.toml moved
// under `base` (its quoted strings only).
const rewrittenConfigMap = (base) => {
  const copy = structuredClone(configMap);
  copy.data['kvd.toml'] = copy.data['kvd.toml'].replace(
    /"(\/[^"]*)"/g, (_, p) => JSON.stringify(rewritePath(p, base)));
  return copy;
};
const sourceOf = (volume, base) => {
  if (volume.secret) {
    assert.equal(volume.secret.secretName, secret.metadata.name);
    return secret;
  }
  assert.equal(volume.configMap.name, configMap.metadata.name);
  return rewrittenConfigMap(base);
};

// Lays out the pod's volumes for one container under ROOT/NAME: Secrets and
// ConfigMaps as the kubelet does (`secretOverride` replaces the Secret, e.g.
// to rotate it), emptyDirs as 0777 directories and PVCs as fsGroup-owned
// setgid directories. Returns the base and each Secret/ConfigMap volume's
// directory.
function layOut(container, name, { secretOverride, modeOverride, noFsGroup } = {}) {
  const base = path.join(root, name);
  const dirs = {};
  for (const mount of container.volumeMounts ?? []) {
    const volume = structuredClone(volumeOf(mount.name));
    const dir = `${base}${mount.mountPath}`;
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    for (let d = path.dirname(dir); d.startsWith(base); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    if (volume.secret || volume.configMap) {
      if (modeOverride !== undefined && volume.secret) volume.secret.defaultMode = modeOverride;
      const source = volume.secret && secretOverride ? secretOverride : sourceOf(volume, base);
      materialise(dir, payloadOf(volume, source), noFsGroup && volume.secret ? undefined : fsGroup);
      dirs[mount.name] = { dir, volume };
    } else if (volume.emptyDir) {
      fs.mkdirSync(dir);
      fs.chmodSync(dir, 0o777);
    } else if (volume.persistentVolumeClaim) {
      fs.mkdirSync(dir);
      fs.chownSync(dir, 0, fsGroup);
      fs.chmodSync(dir, 0o2775);
    } else {
      throw new Error(`volume ${mount.name}: not laid out by this test`);
    }
  }
  return { base, dirs };
}

// kvd as the container runs it, from a copy of the binary the pod's user
// may execute.
fs.mkdirSync(path.join(root, 'bin'), { mode: 0o755 });
const kvdCopy = path.join(root, 'bin', 'kvd');
fs.copyFileSync(kvdBinary, kvdCopy);
fs.chmodSync(kvdCopy, 0o755);
const kvdCommand = (base) => {
  const args = (kvd.args ?? []).map(a => rewriteValue(a, base));
  const env = { PATH: '/usr/bin:/bin', HOME: '/' };
  for (const e of kvd.env ?? []) env[e.name] = rewriteValue(e.value, base);
  const setpriv = ['--reuid', String(runAsUser), '--regid', String(runAsGroup),
                   `--groups=${supplementalGroups.join(',')}`, '--inh-caps=-all',
                   '--bounding-set=-all', '--no-new-privs'];
  return { argv: [...setpriv, '--', kvdCopy, ...args], env, args };
};

// Starts kvd and resolves with {child, stdout lines, address, log} once it
// printed its address (or rejects with its output).
function startKvd(base) {
  const { argv, env } = kvdCommand(base);
  const child = spawn('setpriv', argv, { env, cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { child, stdout: '', stderr: '', exit: null };
  child.stdout.on('data', d => { state.stdout += d; });
  child.stderr.on('data', d => { state.stderr += d; });
  state.exited = new Promise(resolve => child.on('exit', (code, signal) => {
    state.exit = code ?? 128 + os.constants.signals[signal];
    resolve(state.exit);
  }));
  return state;
}

async function waitFor(what, predicate, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${seconds} s waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

const kvctl = (addr, tokenFile, ...args) => {
  const run = spawnSync(kvctlBinary, ['--addr', addr, '--timeout', '10s',
                                      ...(tokenFile ? ['--token-file', tokenFile] : []), ...args],
                        { encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
};

async function asyncCheck(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (error) {
    failures++;
    console.log(`FAIL ${name}\n     ${error.message.split('\n').join('\n     ')}`);
  }
}

const tokenKey = path.basename((config?.client ?? [])[0]?.token_file ?? 'orders-app');
const tokenOf = (s) => s.stringData?.[tokenKey] ??
  Buffer.from(s.data?.[tokenKey] ?? '', 'base64').toString('utf8');

check('kvd.toml: kvd\'s own parser accepts it on the kubelet\'s Secret layout', () => {
  const { base } = layOut(kvd, 'parse');
  const file = rewritePath(flag(kvd, 'config'), base);
  const run = spawnSync(configCheck, [file], { encoding: 'utf8' });
  const out = `${run.stdout}${run.stderr}`.trim();
  console.log(`     ${out.split('\n').join('\n     ')}`);
  assert.equal(run.status, 0, 'config_check failed');
  assert.match(out, /store "default": sqlite/);
});

await asyncCheck('kvd runs as the pod\'s user on the kubelet\'s layout, and a rotated token applies without a signal', async () => {
  const kvdRoot = layOut(kvd, 'kvd');
  const app = apps[0];
  const appRoot = layOut(app, 'app');
  const { args } = kvdCommand(kvdRoot.base);
  const socket = args.find(a => a.startsWith('--listen=')).slice('--listen='.length);
  const tokenFile = rewritePath(config.client[0].token_file, kvdRoot.base);
  const linkTarget = fs.readlinkSync(tokenFile);
  assert.equal(linkTarget, `..data/${tokenKey}`, `${tokenFile} is not the kubelet's symlink`);
  const target = fs.statSync(tokenFile);
  assert.equal(target.mode & 0o7777, 0o440, `token file mode ${(target.mode & 0o7777).toString(8)}`);
  assert.equal(target.uid, 0);
  assert.equal(target.gid, fsGroup);
  const appToken = path.join(appRoot.base, app.env.find(e => e.name === 'KVD_TOKEN_FILE').value);

  const started = startKvd(kvdRoot.base);
  try {
    await waitFor('kvd to print its address', () =>
      started.stdout.includes('kvd listening on') || started.exit !== null, 30);
    assert.ok(started.exit === null, `kvd exited ${started.exit}:\n${started.stdout}${started.stderr}`);
    const probes = started.stdout.match(/health probes on (\S+)/)?.[1];
    assert.ok(probes, `no health listener:\n${started.stdout}`);
    let run = kvctl(probes, null, 'health', '--service', 'kvd.ready');
    assert.equal(run.out, 'SERVING\n', `health on ${probes}: ${run.err}`);

    // The token from kvd's Secret mount and the app's own mount of it.
    run = kvctl(socket, tokenFile, 'set', 'rotation', 'before');
    assert.equal(run.code, 0, `set with the Secret's token: ${run.err}`);
    run = kvctl(socket, appToken, 'get', 'rotation');
    assert.equal(run.code, 0, `get with the app's token file: ${run.err}`);
    const stranger = path.join(root, 'stranger.token');
    fs.writeFileSync(stranger, 'not-a-configured-token\n');
    run = kvctl(socket, stranger, 'get', 'rotation');
    assert.equal(run.code, 3, `a wrong token: ${run.out}${run.err}`);
    assert.match(run.err, /UNAUTHENTICATED/);

    // Rotation: the Secret gets a new token; the kubelet updates both
    // volumes by swapping ..data. No signal is sent to kvd.
    const oldToken = path.join(root, 'old.token');
    fs.copyFileSync(tokenFile, oldToken);
    const rotated = structuredClone(secret);
    delete rotated.data;
    rotated.stringData = { ...(secret.stringData ?? {}), [tokenKey]: crypto.randomBytes(32).toString('hex') };
    for (const [, { dir, volume }] of Object.entries({ ...kvdRoot.dirs, ...appRoot.dirs })) {
      if (volume.secret) update(dir, payloadOf(volume, rotated), fsGroup);
    }
    assert.equal(fs.readFileSync(appToken, 'utf8'), tokenOf(rotated));
    // A bounded wait for the poll, not a timing assertion.
    const seconds = 3 * parseInt(flag(kvd, 'token-reload-interval'), 10) + 10;
    const swapped = Date.now();
    await waitFor('the rotated token to work and the old one to be refused', () => {
      const fresh = kvctl(socket, appToken, 'get', 'rotation');
      const stale = kvctl(socket, oldToken, 'get', 'rotation');
      return fresh.code === 0 && stale.code === 3 && /UNAUTHENTICATED/.test(stale.err);
    }, seconds);
    console.log(`     the rotated token applied ${((Date.now() - swapped) / 1000).toFixed(1)} s after the ..data swap (information, not a check)`);
    assert.equal(started.exit, null, 'kvd exited');
    // kvd ran as the pod's user: the SQLite file it made is its own.
    const dataDir = rewritePath('/var/lib/kvd', kvdRoot.base);
    const db = fs.readdirSync(dataDir).find(f => f.endsWith('.db'));
    assert.ok(db, `no database in ${dataDir}`);
    assert.equal(fs.statSync(path.join(dataDir, db)).uid, runAsUser, `${db}'s owner`);
    // The log line may still be in the pipe.
    const rotation = /token poll: client "[^"]+": token rotated sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}/;
    await waitFor(`kvd's log to name the rotation by fingerprint`, () => rotation.test(started.stderr), 10)
      .catch(error => { throw new Error(`${error.message}; log:\n${started.stderr}`); });
    assert.ok(!started.stderr.includes(tokenOf(rotated)), 'the new token is in the log');
    assert.ok(!started.stderr.includes(tokenOf(secret)), 'the old token is in the log');
    started.child.kill('SIGTERM');
    const code = await Promise.race([started.exited,
      new Promise(resolve => setTimeout(() => resolve('timeout'), 60000))]);
    assert.equal(code, 0, `SIGTERM: exit ${code}\n${started.stderr}`);
  } finally {
    if (started.exit === null) started.child.kill('SIGKILL');
  }
});

check('control: a token file others may read stops kvd at startup', () => {
  const { base } = layOut(kvd, 'loose', { modeOverride: 0o444 });
  const { argv, env } = kvdCommand(base);
  const run = spawnSync('setpriv', argv, { env, cwd: base, encoding: 'utf8', timeout: 60000 });
  const tokenFile = rewritePath(config.client[0].token_file, base);
  assert.equal(run.status, 2, `kvd exited ${run.status}:\n${run.stdout}${run.stderr}`);
  assert.match(run.stderr, new RegExp(`token file ${tokenFile} has mode 0444`));
  assert.match(run.stderr, /chmod 600/);
});

check('control: a Secret file the pod\'s user cannot read says what to change', () => {
  // The kubelet adds the group's read bit for an fsGroup, so a 0400 file
  // (root:root) is what a pod without fsGroup gets for defaultMode 0400.
  const { base } = layOut(kvd, 'unreadable', { modeOverride: 0o400, noFsGroup: true });
  const { argv, env } = kvdCommand(base);
  const run = spawnSync('setpriv', argv, { env, cwd: base, encoding: 'utf8', timeout: 60000 });
  assert.equal(run.status, 2, `kvd exited ${run.status}:\n${run.stdout}${run.stderr}`);
  assert.match(run.stderr, /cannot be opened: Permission denied \(owner uid 0, group gid 0, mode 0400; kvd runs as uid \d+/);
  assert.match(run.stderr, /defaultMode: 0440 and the pod's fsGroup/);
});

fs.rmSync(root, { recursive: true, force: true });

console.log(failures === 0 ? 'PASS' : `FAIL: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
