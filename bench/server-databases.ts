/**
 * The bench app's user databases: one TypeORM DataSource per /sync-* route (the library's
 * CognitoUser entity), each with a logger counting the SQL statements it runs.
 */
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import { CognitoUser } from '../src/index.js';

/** Counts the SQL statements a DataSource runs (TypeORM hands every one to its logger). */
class CountingLogger implements TypeOrmLogger {
  queries = 0;
  logQuery(): void {
    this.queries++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

const counters = new Map<string, CountingLogger>();
const dataSources = new Map<string, DataSource>();

/** Opens a DataSource for the CognitoUser table (created if missing), counted under `name`. */
export async function openDataSource(name: string, options: DataSourceOptions): Promise<DataSource> {
  const logger = new CountingLogger();
  counters.set(name, logger);
  const ds = new DataSource({ ...options, entities: [CognitoUser], synchronize: true, logger } as DataSourceOptions);
  await ds.initialize();
  dataSources.set(name, ds);
  return ds;
}

/** SQL statements run since start-up, per DataSource. */
export function queryCounts(): Record<string, number> {
  return Object.fromEntries([...counters].map(([k, v]) => [k, v.queries]));
}

/** Rows in the CognitoUser table, per DataSource. */
export async function userRows(): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const [name, ds] of dataSources) rows[name] = await ds.getRepository(CognitoUser).count();
  return rows;
}

/** Closes every DataSource, ignoring errors (the process is ending). */
export async function closeDataSources(): Promise<void> {
  for (const ds of dataSources.values()) await ds.destroy().catch(() => undefined);
}
