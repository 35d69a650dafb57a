import pg from 'pg';

export interface ServerDatabase {
  url: string;
  /** Drops the database, ending whatever sessions are still connected to it. */
  drop(): Promise<void>;
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new, empty database `name` (a plain identifier) on the server at `adminUrl`. */
export async function createDatabaseOn(adminUrl: string, name: string): Promise<ServerDatabase> {
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
