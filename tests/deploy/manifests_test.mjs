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
//      files that the Secret provides.
// Usage: node manifests_test.mjs CONFIG_CHECK MANIFEST.yaml...
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';

const [configCheck, ...files] = process.argv.slice(2);
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
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
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
check('kvd.toml: kvd\'s own parser accepts it, token files included', () => {
  // kvd reads every token file while parsing (mode 0600, a printable token),
  // so the Secret's tokens are written where the config names them: the
  // token_file paths, checked above to be the Secret's mount, are moved to a
  // temporary directory, and the rest of the ConfigMap's text is unchanged.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvd-config-'));
  let text = configMap.data['kvd.toml'];
  const tokenFiles = [];
  for (const client of config.client ?? []) {
    if (client.token_file === undefined) continue;
    const key = path.basename(client.token_file);
    const token = secret.stringData?.[key] ??
                  Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
    const file = path.join(dir, `${client.name}.token`);
    fs.writeFileSync(file, token, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    tokenFiles.push(file);
    const quoted = JSON.stringify(client.token_file);
    assert.ok(text.includes(quoted), `kvd.toml does not spell token_file as ${quoted}`);
    text = text.replaceAll(quoted, JSON.stringify(file));
  }
  const file = path.join(dir, 'kvd.toml');
  fs.writeFileSync(file, text);
  const run = spawnSync(configCheck, [file], { encoding: 'utf8' });
  const out = `${run.stdout}${run.stderr}`.trim();
  console.log(`     ${out.split('\n').join('\n     ')}`);
  assert.equal(run.status, 0, 'config_check failed');
  assert.match(out, /store "default": sqlite/);

  // The parser did read them: a token file others may read is refused.
  for (const tokenFile of tokenFiles) {
    fs.chmodSync(tokenFile, 0o644);
    const loose = spawnSync(configCheck, [file], { encoding: 'utf8' });
    fs.chmodSync(tokenFile, 0o600);
    assert.equal(loose.status, 1, `config_check accepted ${tokenFile} at mode 0644`);
    assert.match(loose.stdout, /has mode 0644/);
  }
});

console.log(failures === 0 ? 'PASS' : `FAIL: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
