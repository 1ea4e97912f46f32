/**
 * Fault injection for the kill tests: when PLATFORM_CRASH_AT names this point, the process
 * dies here with SIGKILL, exactly as an OOM kill or a node failure would, with no cleanup.
 * Unset in every real deployment.
 */
export function crashpoint(name: string): void {
  if (process.env.PLATFORM_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
