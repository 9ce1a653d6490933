/** STREAMBOX_RUNTIME and the STREAMBOX_K8S_* settings (server/runtime/choice.ts, server/config.ts). */
import { describe, expect, it } from 'vitest';
import { loadRuntimeChoice } from '../../server/runtime/choice.js';
import { loadConfig } from '../../server/config.js';

const k8s = { STREAMBOX_RUNTIME: 'kubernetes', STREAMBOX_K8S_ROOM_IMAGE: 'registry.example.org/streambox-room:0.1.0' };

describe('the runtime choice', () => {
  it('is systemd unless told otherwise', () => {
    expect(loadRuntimeChoice({})).toEqual({ kind: 'systemd' });
    expect(loadRuntimeChoice({ STREAMBOX_RUNTIME: 'systemd' })).toEqual({ kind: 'systemd' });
  });

  it('takes kubernetes with its settings, in the cluster by default', () => {
    expect(loadRuntimeChoice(k8s)).toEqual({
      kind: 'kubernetes',
      kubernetes: { kubeconfig: null, namespace: null, roomImage: k8s.STREAMBOX_K8S_ROOM_IMAGE, rtmpUrlBase: 'rtmp://streambox-rtmp:1935/live', recordingsClaim: 'streambox-recordings', profileSize: '1Gi' },
    });
    const dev = loadRuntimeChoice({ ...k8s, STREAMBOX_K8S_KUBECONFIG: '/home/me/.kube/config', STREAMBOX_K8S_NAMESPACE: 'rooms', STREAMBOX_K8S_RTMP_URL: 'rtmp://rtmp.rooms:1935/live/', STREAMBOX_K8S_PROFILE_SIZE: '5Gi' });
    expect(dev).toMatchObject({ kubernetes: { kubeconfig: '/home/me/.kube/config', namespace: 'rooms', rtmpUrlBase: 'rtmp://rtmp.rooms:1935/live', profileSize: '5Gi' } });
  });

  it('refuses what it cannot run, saying which setting is wrong', () => {
    expect(() => loadRuntimeChoice({ STREAMBOX_RUNTIME: 'docker' })).toThrow(/STREAMBOX_RUNTIME must be systemd or kubernetes, got 'docker'/);
    expect(() => loadRuntimeChoice({ STREAMBOX_RUNTIME: 'kubernetes' })).toThrow(/needs STREAMBOX_K8S_ROOM_IMAGE/);
    expect(() => loadRuntimeChoice({ ...k8s, STREAMBOX_K8S_RTMP_URL: 'http://x/live' })).toThrow(/STREAMBOX_K8S_RTMP_URL/);
    expect(() => loadRuntimeChoice({ ...k8s, STREAMBOX_K8S_PROFILE_SIZE: 'big' })).toThrow(/STREAMBOX_K8S_PROFILE_SIZE/);
  });

  it("leaves admission to the scheduler on Kubernetes, unless a budget is set", () => {
    expect(loadConfig({}).capacity.budgetCores).not.toBeNull();
    expect(loadConfig(k8s).capacity.budgetCores).toBeNull();
    expect(loadConfig({ ...k8s, STREAMBOX_CAPACITY_CORES: '24' }).capacity.budgetCores).toBe(24);
  });
});
