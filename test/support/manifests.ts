/**
 * Reading deploy/kubernetes/ without kustomize or a cluster (test/k8s/manifests.test.ts): every
 * YAML file parsed, a kustomization's `resources` resolved (files and directories, as kustomize
 * does), objects found by kind and name; and what the code says the manifests must match: the
 * API calls server/runtime/kubernetes/api.ts makes, the environment names the server reads, the
 * kiosk fence's refused ranges.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
export const DEPLOY = join(ROOT, 'deploy/kubernetes');

/** A Kubernetes object as parsed: only what the checks read is typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function yamlFiles(dir = DEPLOY): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Every document of a file; a YAML error (or a warning) throws, naming the file. */
export function parseFile(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { prettyErrors: true });
  return docs.map((doc) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${relative(ROOT, path)}: ${problems.map((p) => p.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

export interface Kustomization {
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  replacements?: Array<{
    source: { kind: string; name: string; fieldPath: string };
    targets: Array<{ select: { kind: string; name: string }; fieldPaths: string[] }>;
  }>;
  namespace?: string;
}

export function kustomization(dir: string): Kustomization {
  const path = join(dir, 'kustomization.yaml');
  if (!existsSync(path)) throw new Error(`${relative(ROOT, dir)} has no kustomization.yaml`);
  return parseFile(path)[0] as Kustomization;
}

/**
 * The objects a kustomization's resources hold, with the file each came from: files as they
 * are, directories through their own kustomization (its transformers are not applied: these
 * checks read the base, which has none).
 */
export function resolveResources(dir: string): Array<{ file: string; object: K8sObject }> {
  return (kustomization(dir).resources ?? []).flatMap((entry) => {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${relative(ROOT, dir)}/kustomization.yaml names ${entry}, which does not exist`);
    if (statSync(path).isDirectory()) return resolveResources(path);
    return parseFile(path).filter((o) => o !== null).map((object) => ({ file: relative(ROOT, path), object: object as K8sObject }));
  });
}

export function find<T = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
}

/** A label selector's matchLabels against an object's labels (what the API server does). */
export function selects(selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string> | undefined): boolean {
  const want = Object.entries(selector?.matchLabels ?? {});
  return want.length > 0 && want.every(([k, v]) => labels?.[k] === v);
}

const VERBS: Record<string, string> = { read: 'get', create: 'create', replace: 'update', delete: 'delete', list: 'list', patch: 'patch' };
const RESOURCES: Record<string, string> = { Pod: 'pods', Secret: 'secrets', PersistentVolumeClaim: 'persistentvolumeclaims' };

/**
 * The RBAC verbs per core resource that server/runtime/kubernetes/api.ts uses, read from its
 * source: every `this.core.<verb>Namespaced<Kind>(` and the watch's path. Throws on a call it
 * cannot place (a new verb or kind, another API group), so the Role cannot silently lag.
 */
export function apiCalls(source = readFileSync(join(ROOT, 'server/runtime/kubernetes/api.ts'), 'utf8')): Record<string, string[]> {
  const calls: Record<string, Set<string>> = {};
  const add = (resource: string, verb: string) => (calls[resource] ??= new Set()).add(verb);
  for (const [, method, kind] of source.matchAll(/this\.core\.([a-z]+)Namespaced([A-Za-z]+)\(/g)) {
    const verb = VERBS[method!];
    const resource = RESOURCES[kind!];
    if (!verb || !resource) throw new Error(`api.ts calls ${method}Namespaced${kind}: add its verb and resource here and to the Role`);
    add(resource, verb);
  }
  for (const [, resource] of source.matchAll(/watch\.watch\(`\/api\/v1\/namespaces\/\$\{[^}]+\}\/([a-z]+)`/g)) add(resource!, 'watch');
  const clients = [...source.matchAll(/makeApiClient\((\w+)\)/g)].map((m) => m[1]);
  for (const client of clients) {
    if (client !== 'CoreV1Api' && client !== 'VersionApi') throw new Error(`api.ts uses ${client}: its calls are not read here, nor granted by the Role`);
  }
  return Object.fromEntries(Object.entries(calls).map(([r, verbs]) => [r, [...verbs].sort()]));
}

/** The Role's core-group rules as resource → sorted verbs (a rule on two resources counts for each). */
export function roleVerbs(role: { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const rule of role.rules) {
    if (rule.apiGroups.join() !== '') throw new Error(`the Role grants on API groups ${rule.apiGroups.join(', ')}: the runtime calls only the core group`);
    for (const r of rule.resources) for (const v of rule.verbs) (out[r] ??= new Set()).add(v);
  }
  return Object.fromEntries(Object.entries(out).map(([r, verbs]) => [r, [...verbs].sort()]));
}

/** Every STREAMBOX_* name the given server sources read from the environment. */
export function envNamesRead(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/env\.(STREAMBOX_[A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  return names;
}

export function serverSources(dir = join(ROOT, 'server')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return serverSources(path);
    return name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** The kiosk fence's nft sets (provisioning/kiosk/streambox-kiosk-fence) by name: always4, lan4, ... */
export function fenceSets(source = readFileSync(join(ROOT, 'provisioning/kiosk/streambox-kiosk-fence'), 'utf8')): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const [, name, elements] of source.matchAll(/set (\w+) \{[^}]*elements = \{ ([^}]*) \}/g)) sets[name!] = elements!.split(',').map((e) => e.trim());
  return sets;
}
