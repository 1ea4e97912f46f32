import { describe, expect, it } from 'vitest';
import { actorOf } from './actor';

const request = (headers: Record<string, string | string[] | undefined>) => ({ headers });

describe('actorOf', () => {
  it('reads a customer, with the customer id it names', () => {
    expect(actorOf(request({ 'x-actor': 'customer:c-1', 'x-actor-role': 'customer' }))).toEqual({ name: 'customer:c-1', role: 'customer', customerId: 'c-1', vendorId: null });
  });

  it('reads staff without a customer id', () => {
    expect(actorOf(request({ 'x-actor': 'ops:key-1', 'x-actor-role': 'ops' }))).toEqual({ name: 'ops:key-1', role: 'ops', customerId: null, vendorId: null });
    expect(actorOf(request({ 'x-actor': 'admin:key-2', 'x-actor-role': 'admin' }))).toEqual({ name: 'admin:key-2', role: 'admin', customerId: null, vendorId: null });
  });

  it('is `system` without headers, and an unknown role is no role', () => {
    expect(actorOf(request({}))).toEqual({ name: 'system', role: null, customerId: null, vendorId: null });
    expect(actorOf(request({ 'x-actor': 'root:x', 'x-actor-role': 'root' }))).toEqual({ name: 'root:x', role: null, customerId: null, vendorId: null });
  });

  it('falls back to the role as the name and takes the first of repeated headers', () => {
    expect(actorOf(request({ 'x-actor-role': 'ops' }))).toEqual({ name: 'ops', role: 'ops', customerId: null, vendorId: null });
    expect(actorOf(request({ 'x-actor': ['customer:a', 'customer:b'], 'x-actor-role': ['customer', 'admin'] }))).toEqual({
      name: 'customer:a',
      role: 'customer',
      customerId: 'a',
      vendorId: null,
    });
  });

  it('reads a vendor, with the vendor id it names, and never as a customer', () => {
    expect(actorOf(request({ 'x-actor': 'vendor:v-1', 'x-actor-role': 'vendor' }))).toEqual({ name: 'vendor:v-1', role: 'vendor', customerId: null, vendorId: 'v-1' });
    expect(actorOf(request({ 'x-actor': 'customer:c-1', 'x-actor-role': 'vendor' })).vendorId).toBeNull();
  });

  it('gives a customer role whose actor names someone else no customer id', () => {
    expect(actorOf(request({ 'x-actor': 'ops:key-1', 'x-actor-role': 'customer' })).customerId).toBeNull();
  });
});
