import { describe, expect, it } from 'vitest';
import { histogramQuantile, laterHalfMachine, machineCpuSecondsOf, machineRows, resourceUse, type ResourceSample } from './resources';

const sample = (at: number, cpu: Record<string, number | undefined>, statements?: Record<string, number>): ResourceSample => ({
  at,
  processes: Object.fromEntries(Object.entries(cpu).map(([name, cpuSeconds]) => [name, { cpuSeconds, rssBytes: undefined }])),
  consumed: {},
  timersDue: {},
  timerDelays: {},
  ...(statements && { statements }),
});

describe('resourceUse', () => {
  it('counts the CPU each process used between two samples, and totals the known ones', () => {
    const use = resourceUse(sample(1_000, { orders: 10, billing: 4, postgresql: 100 }), sample(11_000, { orders: 12.5, billing: 5, postgresql: 101 }));
    expect(use.cpuSeconds.orders).toBeCloseTo(2.5);
    expect(use.cpuSeconds.billing).toBeCloseTo(1);
    expect(use.totalCpuSeconds).toBeCloseTo(4.5);
    expect(use.wallSeconds).toBe(10);
  });

  it('leaves out a process that restarted (its counter went back) or that it could not read', () => {
    const use = resourceUse(sample(0, { orders: 50, billing: 4, nats: undefined }), sample(5_000, { orders: 1, billing: 6, nats: 3 }));
    expect(use.cpuSeconds.orders).toBeUndefined();
    expect(use.cpuSeconds.nats).toBeUndefined();
    expect(use.unknown).toEqual(expect.arrayContaining(['orders', 'nats']));
    expect(use.totalCpuSeconds).toBeCloseTo(2);
  });

  it('counts the statements each database ran between two samples; unknown when a sample lacks them or they were reset', () => {
    const use = resourceUse(sample(0, {}, { orders: 100, billing: 50, tracking: 9 }), sample(1_000, {}, { orders: 160, billing: 20, fulfillment: 7 }));
    expect(use.statements).toEqual({ orders: 60, billing: undefined, fulfillment: undefined });
    expect(resourceUse(sample(0, {}), sample(1_000, {}, { orders: 5 })).statements).toEqual({ orders: undefined });
  });

  it('counts the transactions each database ended between two samples, apart from its statements', () => {
    const before = { ...sample(0, {}, { orders: 100 }), transactions: { orders: 40, billing: 9 } };
    const after = { ...sample(1_000, {}, { orders: 160 }), transactions: { orders: 61, billing: 3 } };
    const use = resourceUse(before, after);
    expect(use.transactions).toEqual({ orders: 21, billing: undefined });
    expect(use.statements).toEqual({ orders: 60 });
  });
});

describe('the machine CPU', () => {
  it('counts /proc/stat busy time (user, nice, system, irq, softirq, steal) in seconds, not idle or iowait', () => {
    const stat = 'cpu  4572050 7386 1523682 3411936 40343 0 102836 5 0 0\ncpu0 2286025 3693 761841 1705968 20171 0 51418 2 0 0\nintr 1 2 3\n';
    expect(machineCpuSecondsOf(stat)).toBeCloseTo((4572050 + 7386 + 1523682 + 0 + 102836 + 5) / 100);
    expect(machineCpuSecondsOf('intr 1 2 3\n')).toBeUndefined();
    expect(machineCpuSecondsOf('cpu  1 2 x 4 5 6 7 8\n')).toBeUndefined();
  });

  it('shows the machine and what no known process used beside the known total; nothing when a sample lacks it', () => {
    const use = resourceUse({ ...sample(0, { orders: 10, postgresql: 5 }), machineCpuSeconds: 1_000 }, { ...sample(10_000, { orders: 13, postgresql: 6 }), machineCpuSeconds: 1_006.5 });
    expect(use.machineCpuSeconds).toBeCloseTo(6.5);
    const rows = machineRows(use);
    expect(rows.map(([label]) => label)).toEqual(['machine (all processes)', 'other (machine - known)']);
    expect(rows[1]![1]).toBeCloseTo(2.5);
    expect(machineRows(resourceUse(sample(0, { orders: 1 }), { ...sample(1_000, { orders: 2 }), machineCpuSeconds: 9 }))).toEqual([]);
  });

  it("gives the cores busy from the first sample at or past the window's middle to its end", () => {
    // 0–40 s at half a core, 40–100 s at 1.8 cores: the later half starts at the 60 s sample.
    const machineAt = (s: number) => (s <= 40 ? s * 0.5 : 20 + (s - 40) * 1.8);
    const samples = [0, 20, 40, 60, 80, 100].map((s) => ({ ...sample(s * 1_000, { orders: 1 }), machineCpuSeconds: machineAt(s) }));
    const later = laterHalfMachine(samples);
    expect(later?.cpuSeconds).toBeCloseTo(72);
    expect(later?.coresBusy).toBeCloseTo(1.8);
    expect(laterHalfMachine(samples.map(({ machineCpuSeconds: _, ...rest }) => rest))).toBeUndefined();
    expect(laterHalfMachine(samples.slice(0, 1))).toBeUndefined();
  });
});

describe('histogramQuantile', () => {
  it('takes the bucket that holds the quantile among the observations between two samples', () => {
    const before = { '0.1': 10, '0.5': 10, '1': 10, '+Inf': 10 };
    const after = { '0.1': 60, '0.5': 104, '1': 109, '+Inf': 110 };
    // 100 new: 50 up to 0.1 s, 44 more up to 0.5 s, 5 up to 1 s, one later.
    expect(histogramQuantile(before, after, 0.5)).toEqual({ count: 100, bound: 0.1 });
    expect(histogramQuantile(before, after, 0.95)).toEqual({ count: 100, bound: 1 });
    expect(histogramQuantile(before, after, 1)).toEqual({ count: 100, bound: Infinity });
    expect(histogramQuantile(undefined, { '0.1': 2, '+Inf': 2 }, 0.5)).toEqual({ count: 2, bound: 0.1 });
  });

  it('is undefined when nothing was observed between the samples, or the histogram is unknown', () => {
    expect(histogramQuantile({ '0.1': 3, '+Inf': 3 }, { '0.1': 3, '+Inf': 3 }, 0.5)).toBeUndefined();
    expect(histogramQuantile({}, undefined, 0.5)).toBeUndefined();
  });
});
