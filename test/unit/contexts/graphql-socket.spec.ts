import type { ContextTokens } from '../../../src/contexts/context.adapter.js';
import { socketTokens } from '../../../src/contexts/graphql-socket.js';

const NO_REQUEST = (): ContextTokens => ({ source: 'header' });
const fromParams = (params: Record<string, unknown>): ContextTokens => socketTokens({ params, request: undefined }, NO_REQUEST);

describe('socketTokens: graphql-ws connectionParams', () => {
  it('reads accessToken, idToken and Authorization in any ASCII case, at the top or under headers', () => {
    expect(fromParams({ ACCESSTOKEN: 'acc', IdToken: 'id' })).toEqual({ access: 'acc', id: 'id', source: 'header' });
    expect(fromParams({ headers: { authorization: 'bearer acc', idtoken: 'id' } })).toEqual({ access: 'acc', id: 'id', source: 'header' });
  });

  // U+212A KELVIN SIGN lower-cases to `k` in Unicode: `idto\u212Aen`.toLowerCase() === 'idtoken'.
  // Names compare ASCII case-insensitively, so the lookalike is no name at all.
  it('reads no name that only Unicode case mapping turns into one (KELVIN SIGN for k)', () => {
    expect(fromParams({ 'accessto\u212Aen': 'acc', 'idto\u212Aen': 'id' })).toEqual({ access: undefined, id: undefined, source: 'header' });
  });
});
