import { parseArgs } from 'node:util';
import { allProjections } from '@chirp/projectors/read-models/index';
import { startProjectors } from '@chirp/projectors/runtime';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { runService } from '../process-lifecycle.ts';

/** `npm run start:projectors [-- --only a,b]`: projector processes for the distributed topology. */
runService(async () => {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const config = loadConfig();
  const db = await openDatabase(config);
  const host = await startProjectors(db.store, db.executor, allProjections, only ? { only } : {});
  console.log(`projectors running: ${host.runners.map((r) => r.name).join(', ')} on ${db.description}`);
  return async () => {
    await host.stop();
    await db.close();
  };
});
