export { createQueryApi, type QueryApiOptions } from './app.ts';
