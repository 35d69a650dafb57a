import { allProjections } from '@chirp/projectors/read-models/index';
import { startProjectors } from '@chirp/projectors/runtime';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { listen } from '../http-server.ts';
import { runService } from '../process-lifecycle.ts';
import { buildCommandApi, buildQueryApi, tokenServiceFor } from '../services.ts';

/** `npm start`: command API, query API and every projector in one process. */
runService(async () => {
  const config = loadConfig();
  const db = await openDatabase(config);
  const tokens = tokenServiceFor(config);
  const projectors = await startProjectors(db.store, db.executor, allProjections);
  const commandApi = await listen(await buildCommandApi(db, config, tokens), config.CHIRP_HOST, config.CHIRP_COMMAND_PORT);
  const queryApi = await listen(buildQueryApi(db, config, tokens), config.CHIRP_HOST, config.CHIRP_QUERY_PORT);
  console.log(
    [
      `Chirp is running on ${db.description}`,
      `  command API  ${commandApi.url}`,
      `  query API    ${queryApi.url}`,
      `  projections  ${allProjections.map((p) => p.name).join(', ')} (status: ${queryApi.url}/v1/projections)`,
    ].join('\n'),
  );
  return async () => {
    await Promise.all([commandApi.close(), queryApi.close()]);
    await projectors.stop();
    await db.close();
  };
});
