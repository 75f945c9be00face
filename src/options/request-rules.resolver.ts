import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthModuleOptions, CognitoAuthSettings, TokenUseMode } from './cognito-auth.options.js';
import type { SettingsReader } from './settings.reader.js';

const TOKEN_USES: readonly TokenUseMode[] = ['id+access', 'access', 'id', 'any'];

type RequestRules = Pick<CognitoAuthSettings, 'tokenUse' | 'passThroughContexts' | 'tokenExtractor' | 'validate'>;

/** Which tokens a request needs, which contexts pass unauthenticated, and the app's hooks. */
export function resolveRequestRules(o: CognitoAuthModuleOptions, reader: SettingsReader): RequestRules {
  const tokenUseSrc = o.tokenUse !== undefined ? { value: o.tokenUse, source: 'tokenUse' } : reader.read(['COGNITO_TOKEN_USE']);
  const tokenUse = (tokenUseSrc?.value ?? 'id+access') as TokenUseMode;
  if (!TOKEN_USES.includes(tokenUse)) {
    throw new CognitoConfigError(tokenUseSrc!.source, `must be one of ${TOKEN_USES.join(', ')} (got "${String(tokenUseSrc!.value)}")`);
  }
  const contexts = o.passThroughContexts ?? [];
  if (!Array.isArray(contexts) || contexts.some((c) => typeof c !== 'string' || c.trim() === '')) {
    throw new CognitoConfigError('passThroughContexts', 'must be a list of context type names, e.g. ["rpc"]');
  }
  for (const name of ['tokenExtractor', 'validate'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw new CognitoConfigError(name, 'must be a function');
  }
  return {
    tokenUse,
    passThroughContexts: Object.freeze([...new Set(contexts.map((c) => c.trim()))]),
    tokenExtractor: o.tokenExtractor,
    validate: o.validate,
  };
}
