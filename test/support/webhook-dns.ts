/**
 * DNS for webhook tests: the test machines have none, so host names resolve from a table here; `localhost`
 * (and any name the table leaves out but /etc/hosts knows) through the system resolver, as in production.
 */
import { systemResolver, type HostResolver } from '../../services/webhook-targets.js';

/** Resolves the names in `table` to their addresses, counting the lookups of each; others as the system does. */
export function tableResolver(table: Record<string, string[]>): HostResolver & { lookups: Map<string, number> } {
  const lookups = new Map<string, number>();
  const resolve: HostResolver = async (hostname) => {
    lookups.set(hostname, (lookups.get(hostname) ?? 0) + 1);
    const addresses = table[hostname.toLowerCase()];
    return addresses ? [...addresses] : systemResolver(hostname);
  };
  return Object.assign(resolve, { lookups });
}
