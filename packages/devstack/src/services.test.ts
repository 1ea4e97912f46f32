import { describe, expect, it } from 'vitest';
import { SERVICE_HEAP_MB, withHeapCap } from './services';

describe('withHeapCap', () => {
  it('adds the heap cap of deploy/k8s to the options a service is started with', () => {
    expect(withHeapCap(undefined)).toBe(`--max-old-space-size=${SERVICE_HEAP_MB}`);
    expect(withHeapCap('--enable-source-maps')).toBe(`--enable-source-maps --max-old-space-size=${SERVICE_HEAP_MB}`);
  });

  it('keeps a cap set by whoever started the stack', () => {
    expect(withHeapCap('--max-old-space-size=1024')).toBe('--max-old-space-size=1024');
  });
});
