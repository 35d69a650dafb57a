import { loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { listen } from '../http-server.ts';
import { runService } from '../process-lifecycle.ts';
import { buildCommandApi, tokenServiceFor } from '../services.ts';

runService(async () => {
  const config = loadConfig();
  const db = await openDatabase(config);
  const server = await listen(await buildCommandApi(db, config, tokenServiceFor(config)), config.CHIRP_HOST, config.CHIRP_COMMAND_PORT);
  console.log(`command API ${server.url} on ${db.description}`);
  return async () => {
    await server.close();
    await db.close();
  };
});
