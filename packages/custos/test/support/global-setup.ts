// Prepares what every test file shares, once per run:
// - pglite: a freshly initialised data directory that each test copies (initdb takes seconds);
// - postgres: a server to create test databases on: the one on 127.0.0.1:5432, or, when none
//   answers, a throwaway cluster started from the installed PostgreSQL binaries.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startThrowawayCluster } from './throwaway-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    engine: 'pglite' | 'postgres';
    pgliteTemplate: string;
    postgresAdminUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engine = process.env.CUSTOS_TEST_DATABASE === 'postgres' ? 'postgres' : 'pglite';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-test-'));
  const cleanups: Array<() => Promise<void>> = [async () => fs.rmSync(root, { recursive: true, force: true })];
  project.provide('engine', engine);
  project.provide('pgliteTemplate', '');
  project.provide('postgresAdminUrl', '');

  if (engine === 'pglite') {
    const template = path.join(root, 'pglite-template');
    const instance = await PGlite.create(template);
    await instance.close();
    project.provide('pgliteTemplate', template);
  } else {
    let adminUrl = process.env.CUSTOS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    if (!(await answers(adminUrl))) {
      // Its own folder: the cluster's OS user (postgres, when we are root) cannot enter `root`.
      const clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-cluster-'));
      const cluster = await startThrowawayCluster(clusterDir);
      adminUrl = cluster.url;
      cleanups.unshift(async () => {
        await cluster.stop();
        fs.rmSync(clusterDir, { recursive: true, force: true });
      });
    }
    project.provide('postgresAdminUrl', adminUrl);
  }
  return async () => {
    for (const cleanup of cleanups) await cleanup();
  };
}
