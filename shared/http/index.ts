export { fetchHandler, fromFetchRequest, safeDecodePath, toFetchResponse } from './fetch-bridge';
export type { RouteMatch } from './router';
export { Router } from './router';
export type { HttpApp, HttpRequest, HttpResponse } from './types';
export { empty, json } from './types';
