import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../server';

/** Placeholder until the simulator is written. */
export function registerCj(_app: FastifyInstance, _context: SimulatorContext): void {}
