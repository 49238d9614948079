/** `Tables` that count reads and writes per table, to prove what a round touches. */
import type { TableRole } from '../../shared/store/index.js';
import {
  Tables,
  type ApplyReport,
  type EntityPage,
  type TableWrite,
} from '../../shared/store/tables.js';

export interface TableTraffic {
  reads: number;
  writes: number;
}

export class CountingTables extends Tables {
  readonly traffic = new Map<TableRole, TableTraffic>();

  count(role: TableRole): TableTraffic {
    let traffic = this.traffic.get(role);
    if (traffic === undefined) {
      traffic = { reads: 0, writes: 0 };
      this.traffic.set(role, traffic);
    }
    return traffic;
  }

  reset(): void {
    this.traffic.clear();
  }

  override async readEntity(
    ...args: Parameters<Tables['readEntity']>
  ): ReturnType<Tables['readEntity']> {
    this.count(args[0]).reads += 1;
    return super.readEntity(...args);
  }

  override async listPage(...args: Parameters<Tables['listPage']>): Promise<EntityPage> {
    this.count(args[0]).reads += 1;
    return super.listPage(...args);
  }

  override async applyWrites(
    writes: readonly TableWrite[],
    options?: { concurrency?: number },
  ): Promise<ApplyReport> {
    const report = await super.applyWrites(writes, options);
    report.results.forEach((result) => {
      if (result.outcome === 'applied') this.count(result.write.table).writes += 1;
    });
    return report;
  }
}
