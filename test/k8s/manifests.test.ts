/**
 * deploy/kubernetes/ against the code it must agree with, with no cluster and no kustomize: what
 * could drift silently (a Pod that no policy fences, a Role that lacks a verb the runtime calls or
 * holds one it does not, a port, an env name, a claim). No Kubernetes API server can run on these
 * machines (docs/kubernetes.md, "What was tested where"), so nothing here is applied.
 *
 * - Every YAML file parses; the base is what its kustomization.yaml's resources name.
 * - The Role equals the calls server/runtime/kubernetes/api.ts makes, read from its source, and
 *   the calls a room's whole life makes on the fake API server (test/support/fakeKubeApi.ts).
 * - The NetworkPolicies select the Pods the real builders make (podSpec.ts, recorderSpec.ts), and
 *   refuse exactly the ranges the appliance's kiosk fence refuses.
 * - The admin's env is read by the server, loads (loadConfig), and its ports, Services and claim
 *   are the ones the config and the runtime then use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { roomPod } from '../../server/runtime/kubernetes/podSpec.js';
import { recorderPod } from '../../server/runtime/kubernetes/recorderSpec.js';
import { VNC_PORT } from '../../server/runtime/kubernetes/members.js';
import { spec } from '../support/runtimeContract.js';
import { startKubeBench, type KubeBench } from '../support/kubeHarness.js';
import { DEPLOY, apiCalls, envNamesRead, fenceSets, find, kustomization, parseFile, resolveResources, roleVerbs, selects, serverSources, yamlFiles, type K8sObject } from '../support/manifests.js';

type EnvVar = { name: string; value?: string };
type Port = { name?: string; containerPort?: number; port?: number; targetPort?: string | number; protocol?: string };
type Container = { name: string; image: string; env?: EnvVar[]; ports?: Port[]; volumeMounts?: Array<{ name: string; mountPath: string }> };
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: { serviceAccountName?: string; initContainers?: Container[]; containers: Container[]; volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> } };
type Workload = K8sObject & { spec: { template: PodTemplate; volumeClaimTemplates?: Array<{ metadata: { name: string } }> } };
type Service = K8sObject & { spec: { selector: Record<string, string>; ports: Port[] } };
type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown; ipBlock?: { cidr: string; except?: string[] } };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: Port[] };
type Policy = K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] } };

const base = resolveResources(join(DEPLOY, 'base')).map((r) => r.object);
const admin = find<Workload>(base, 'StatefulSet', 'streambox-admin');
const adminContainer = admin.spec.template.spec.containers.find((c) => c.name === 'admin')!;
const adminEnv = Object.fromEntries((adminContainer.env ?? []).map((e) => [e.name, e.value ?? '']));
const config = loadConfig(adminEnv);
const k8s = config.runtime.kind === 'kubernetes' ? config.runtime.kubernetes : null;
const rooms = find<Policy>(base, 'NetworkPolicy', 'streambox-rooms');
const recorders = find<Policy>(base, 'NetworkPolicy', 'streambox-recorders');
const roomSpec = spec();
const room = roomPod(roomSpec, { namespace: 'streambox', image: 'streambox-room', rtmpUrlBase: k8s!.rtmpUrlBase, cores: 0.84, profileSize: '1Gi' });
const owner = { apiVersion: 'v1', kind: 'Pod', name: room.metadata!.name!, uid: 'u' };
const recorder = recorderPod({ roomId: roomSpec.id, sourceUrl: 'rtmp://streambox-rtmp:1935/live/x', outputPath: '/x' }, { namespace: 'streambox', image: 'streambox-room', recordingsClaim: k8s!.recordingsClaim }, owner);
const port = (ports: Port[] | undefined, name: string) => ports?.find((p) => p.name === name)?.containerPort ?? ports?.find((p) => p.name === name)?.port;
const servicePort = (name: string, portName: string) => port(find<Service>(base, 'Service', name).spec.ports, portName);
/** The egress rule whose peer selects the Pods of `labels`: its TCP ports. */
const egressPorts = (policy: Policy, labels: Record<string, string>) => (policy.spec.egress ?? []).filter((r) => r.to?.some((p) => !p.namespaceSelector && selects(p.podSelector, labels))).flatMap((r) => (r.ports ?? []).map((p) => p.port));

describe('deploy/kubernetes: the files', () => {
  it('parses every YAML file, and the base names each of its files once', () => {
    const files = yamlFiles();
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) expect(() => parseFile(file), file).not.toThrow();
    const listed = (kustomization(join(DEPLOY, 'base')).resources ?? []).map((r) => join(DEPLOY, 'base', r)).sort();
    const present = files.filter((f) => dirname(f) === join(DEPLOY, 'base') && !f.endsWith('kustomization.yaml')).sort();
    expect(listed).toEqual(present);
  });

  it('holds nothing cluster-wide, and binds the admin service account to its Role', () => {
    for (const o of base) expect(['ClusterRole', 'ClusterRoleBinding', 'Namespace'], `${o.kind} ${o.metadata.name}`).not.toContain(o.kind);
    const binding = find<K8sObject & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string }> }>(base, 'RoleBinding', 'streambox-admin');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'streambox-admin' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: admin.spec.template.spec.serviceAccountName }]);
    find(base, 'ServiceAccount', admin.spec.template.spec.serviceAccountName!);
  });

  it('names the images only, and every overlay sets both and hands the room image to the runtime', () => {
    const images = new Set(base.flatMap((o) => ((o as Workload).spec?.template?.spec ? [...((o as Workload).spec.template.spec.initContainers ?? []), ...(o as Workload).spec.template.spec.containers] : [])).map((c) => c.image));
    expect([...images].sort()).toEqual(['streambox-admin', 'streambox-room']);
    expect(admin.spec.template.spec.initContainers?.find((c) => c.name === 'room-image')?.image).toBe('streambox-room');
    expect(adminEnv.STREAMBOX_K8S_ROOM_IMAGE).toBe('streambox-room');
    const overlays = yamlFiles(join(DEPLOY, 'overlays')).filter((f) => f.endsWith('kustomization.yaml')).map(dirname);
    expect(overlays.length).toBeGreaterThan(0);
    for (const dir of overlays) {
      const k = kustomization(dir);
      expect(k.resources, dir).toContain('../../base');
      expect((k.images ?? []).map((i) => i.name).sort(), dir).toEqual(['streambox-admin', 'streambox-room']);
      expect(k.replacements, dir).toContainEqual({
        source: { kind: 'StatefulSet', name: 'streambox-admin', fieldPath: 'spec.template.spec.initContainers.[name=room-image].image' },
        targets: [{ select: { kind: 'StatefulSet', name: 'streambox-admin' }, fieldPaths: ['spec.template.spec.containers.[name=admin].env.[name=STREAMBOX_K8S_ROOM_IMAGE].value'] }],
      });
    }
  });
});

describe('deploy/kubernetes: the Role', () => {
  it('grants exactly the calls the runtime makes', () => {
    const calls = apiCalls();
    expect(Object.keys(calls).sort()).toEqual(['persistentvolumeclaims', 'pods', 'secrets']);
    expect(roleVerbs(find(base, 'Role', 'streambox-admin'))).toEqual(calls);
  });

  describe('on the fake API server', () => {
    let bench: KubeBench;
    beforeAll(async () => {
      bench = await startKubeBench();
    });
    afterAll(async () => {
      await bench?.close();
    });

    it("grants every call a room's life makes, and nothing it does not make", async () => {
      // Watched, started keeping logins, recorded, stopped, removed: every path of the runtime.
      const s = { ...spec(), keepLogins: true };
      const unwatch = bench.runtime.watch(() => {});
      await bench.runtime.start(s);
      await bench.runtime.startRecording({ roomId: s.id, sourceUrl: `rtmp://streambox-rtmp:1935/live/${s.id}`, outputPath: '/x' });
      await bench.runtime.stopRecording(s.id);
      await bench.runtime.stop(s.id);
      await bench.runtime.remove(s.id);
      expect((await bench.runtime.health()).ok).toBe(true);
      unwatch();
      // The fake tallies `METHOD resource[/name][ watch]` per request (fakeKubeApi.ts).
      const seen: Record<string, Set<string>> = {};
      for (const key of bench.api.store.counts.keys()) {
        const m = /^(GET|POST|PUT|DELETE|PATCH) ([a-z]+)(\/name)?( watch)?$/.exec(key);
        if (!m) continue;
        const verb = m[4] ? 'watch' : { GET: m[3] ? 'get' : 'list', POST: 'create', PUT: 'update', DELETE: 'delete', PATCH: 'patch' }[m[1]!]!;
        (seen[m[2]!] ??= new Set()).add(verb);
      }
      const recorded = Object.fromEntries(Object.entries(seen).map(([r, v]) => [r, [...v].sort()]));
      expect(recorded).toEqual(roleVerbs(find(base, 'Role', 'streambox-admin')));
    });
  });

  it('reads a new call in api.ts (the check can fail)', () => {
    expect(apiCalls('this.core.patchNamespacedSecret(').secrets).toEqual(['patch']);
    expect(() => apiCalls('this.core.readNamespacedConfigMap(')).toThrow(/ConfigMap/);
    expect(() => apiCalls('this.kc.makeApiClient(AppsV1Api)')).toThrow(/AppsV1Api/);
  });
});

describe('deploy/kubernetes: the fence around the rooms', () => {
  it("selects the room's Pod as the runtime builds it, and the recorder's with the other policy", () => {
    expect(selects(rooms.spec.podSelector, room.metadata!.labels)).toBe(true);
    expect(selects(rooms.spec.podSelector, recorder.metadata!.labels)).toBe(false);
    expect(selects(recorders.spec.podSelector, recorder.metadata!.labels)).toBe(true);
    expect(selects(recorders.spec.podSelector, room.metadata!.labels)).toBe(false);
    for (const p of [rooms, recorders]) expect(p.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(recorders.spec.ingress ?? []).toEqual([]);
  });

  it("lets only the admin service in, to x11vnc's port", () => {
    const inputPort = room.spec!.containers.find((c) => c.name === 'input')?.ports?.[0]?.containerPort;
    expect(inputPort).toBe(VNC_PORT);
    expect(rooms.spec.ingress).toHaveLength(1);
    const [rule] = rooms.spec.ingress!;
    expect(rule!.from).toHaveLength(1);
    expect(selects(rule!.from![0]!.podSelector, admin.spec.template.metadata.labels)).toBe(true);
    expect(rule!.ports).toEqual([{ protocol: 'TCP', port: inputPort }]);
  });

  it('lets the room out to DNS, nginx-rtmp, the ingest and the internet only', () => {
    const rtmp = find<Workload>(base, 'Deployment', 'streambox-rtmp');
    const rtmpUrl = new URL(k8s!.rtmpUrlBase);
    expect(rtmpUrl.hostname).toBe('streambox-rtmp');
    expect(egressPorts(rooms, rtmp.spec.template.metadata.labels)).toEqual([Number(rtmpUrl.port)]);
    expect(egressPorts(recorders, rtmp.spec.template.metadata.labels)).toEqual([Number(rtmpUrl.port)]);
    expect(egressPorts(rooms, admin.spec.template.metadata.labels)).toEqual([config.ingestPort]);
    const dns = (rooms.spec.egress ?? []).filter((r) => r.to?.some((p) => p.namespaceSelector));
    expect(dns.flatMap((r) => r.ports ?? [])).toEqual([{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }]);
    expect(rooms.spec.egress).toHaveLength(4);
  });

  it('refuses what the kiosk fence refuses', () => {
    const sets = fenceSets();
    const blocks = (rooms.spec.egress ?? []).flatMap((r) => r.to ?? []).flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
    expect(blocks.map((b) => b.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect([...blocks[0]!.except!].sort()).toEqual([...sets.always4!, ...sets.lan4!].sort());
    expect([...blocks[1]!.except!].sort()).toEqual([...sets.always6!, ...sets.lan6!].sort());
    expect(blocks[0]!.except).toContain('169.254.0.0/16');
  });
});

describe('deploy/kubernetes: the admin service', () => {
  it("lets only the rooms' Pods reach its ingest, and anyone its HTTP port", () => {
    const policy = find<Policy>(base, 'NetworkPolicy', 'streambox-admin');
    expect(selects(policy.spec.podSelector, admin.spec.template.metadata.labels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const rules = policy.spec.ingress ?? [];
    const http = rules.filter((r) => r.ports?.some((p) => p.port === config.listenPort));
    expect(http).toEqual([{ ports: [{ protocol: 'TCP', port: config.listenPort }] }]);
    const ingest = rules.filter((r) => r.ports?.some((p) => p.port === config.ingestListen.port));
    expect(ingest).toHaveLength(1);
    expect(ingest[0]!.from).toHaveLength(1);
    expect(selects(ingest[0]!.from![0]!.podSelector, room.metadata!.labels)).toBe(true);
    expect(selects(ingest[0]!.from![0]!.podSelector, recorder.metadata!.labels)).toBe(false);
    expect(rules).toHaveLength(2);
  });

  it('sets only environment names the server reads, the K8S ones from runtime/choice.ts', () => {
    const read = envNamesRead(serverSources());
    const choice = envNamesRead(['server/runtime/choice.ts']);
    for (const name of Object.keys(adminEnv)) {
      expect(read, name).toContain(name);
      if (name.startsWith('STREAMBOX_K8S_') || name === 'STREAMBOX_RUNTIME') expect(choice, name).toContain(name);
    }
    expect(config.runtime.kind).toBe('kubernetes');
  });

  it('listens where its Service and the rooms look, and the rtmp Service is where encoders publish', () => {
    expect(port(adminContainer.ports, 'http')).toBe(config.listenPort);
    expect(port(adminContainer.ports, 'ingest')).toBe(config.ingestListen.port);
    expect(config.listenHost).toBe('0.0.0.0');
    // The ports are the configuration's defaults (docs and README name those); only the hosts differ.
    const defaults = loadConfig({});
    expect([config.listenPort, config.ingestPort, config.ingestListen.port]).toEqual([defaults.listenPort, defaults.ingestPort, defaults.ingestPort]);
    expect(k8s!.rtmpUrlBase).toBe((loadConfig({ STREAMBOX_RUNTIME: 'kubernetes', STREAMBOX_K8S_ROOM_IMAGE: 'x' }).runtime as { kubernetes: { rtmpUrlBase: string } }).kubernetes.rtmpUrlBase);
    expect(config.ingestListen.host).toBe('0.0.0.0');
    // The encoders are told the Service's name and port.
    expect(config.ingestHost).toBe('streambox-admin');
    expect(servicePort('streambox-admin', 'ingest')).toBe(config.ingestPort);
    expect(servicePort('streambox-admin', 'http')).toBe(config.listenPort);
    expect(find<Service>(base, 'Service', 'streambox-admin').spec.selector).toEqual(admin.spec.template.metadata.labels);
    const rtmp = find<Workload>(base, 'Deployment', 'streambox-rtmp');
    const rtmpService = find<Service>(base, 'Service', 'streambox-rtmp');
    expect(selects({ matchLabels: rtmpService.spec.selector }, rtmp.spec.template.metadata.labels)).toBe(true);
    expect(servicePort('streambox-rtmp', 'rtmp')).toBe(Number(new URL(k8s!.rtmpUrlBase).port));
    expect(port(rtmp.spec.template.spec.containers[0]!.ports, 'rtmp')).toBe(Number(new URL(k8s!.rtmpUrlBase).port));
  });

  it('keeps its SQLite and the recordings on the claims the runtime names', () => {
    const mounts = Object.fromEntries((adminContainer.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
    expect(mounts.data).toBe(dirname(config.dbPath));
    expect(admin.spec.volumeClaimTemplates?.map((t) => t.metadata.name)).toContain('data');
    expect(mounts.recordings).toBe(config.recordingsDir);
    const claim = admin.spec.template.spec.volumes?.find((v) => v.name === 'recordings')?.persistentVolumeClaim?.claimName;
    expect(claim).toBe(k8s!.recordingsClaim);
    find(base, 'PersistentVolumeClaim', k8s!.recordingsClaim);
    // The recorder's Pod, as built, mounts the same claim under the same directory.
    expect(recorder.spec!.volumes?.[0]?.persistentVolumeClaim?.claimName).toBe(claim);
    expect(recorder.spec!.containers[0]!.volumeMounts?.[0]?.mountPath.startsWith(`${config.recordingsDir}/`)).toBe(true);
  });
});
