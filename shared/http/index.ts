export { fetchHandler, fromFetchRequest, safeDecodePath, toFetchResponse } from './fetch-bridge';
export { Router } from './router';
export type { RouteMatch } from './router';
export { empty, json } from './types';
export type { HttpApp, HttpRequest, HttpResponse } from './types';
