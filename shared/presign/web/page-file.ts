/** Where the built artifacts page sits, relative to presign-api's bundle; read on the first `GET /` only. */
export const ARTIFACTS_PAGE_FILE = 'web/index.html';
