// Route filters (HTTPRoute and GRPCRoute): the filter objects, the rule that a filter carries
// exactly the field its type names, and the rules on a list of filters (no repeats, redirect and
// rewrite exclusive).
import { childIndex, childKey } from '../field-path.ts';
import {
  backendObjectReference,
  headerName,
  headerValue,
  localObjectReference,
  PATH_CHARS_PATTERN,
  portNumber,
  preciseHostname,
} from './common.ts';
import { bool, int, int32, list, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const header = () => obj({ name: headerName(), value: headerValue() }, { required: ['name', 'value'] });

export const headerModifier = () =>
  obj({
    set: list(header(), { maxItems: 16, listType: 'map', listMapKeys: ['name'] }),
    add: list(header(), { maxItems: 16, listType: 'map', listMapKeys: ['name'] }),
    remove: list(str(), { maxItems: 16, listType: 'set' }),
  });

export const requestMirror = () =>
  obj(
    {
      backendRef: backendObjectReference(),
      percent: int32({ minimum: 0, maximum: 100 }),
      fraction: obj(
        { numerator: int32({ minimum: 0 }), denominator: int32({ minimum: 1 }) },
        {
          required: ['numerator'],
          rules: [
            (f, path) =>
              typeof f.numerator === 'number' && f.numerator > (f.denominator ?? 100)
                ? [{ field: childKey(path, 'numerator'), message: 'must not be greater than denominator' }]
                : [],
          ],
        },
      ),
    },
    {
      required: ['backendRef'],
      rules: [
        (m, path) => (m.percent !== undefined && m.fraction !== undefined ? [{ field: path, message: 'percent and fraction are exclusive: set one of them' }] : []),
      ],
    },
  );

/** The path modifier of RequestRedirect and URLRewrite: the field its type names, and no other. */
const pathModifier = () =>
  obj(
    {
      type: str({ enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] }),
      replaceFullPath: str({ maxLength: 1024 }),
      replacePrefixMatch: str({ maxLength: 1024 }),
    },
    {
      required: ['type'],
      rules: [
        (p, path) => {
          const problems: Problem[] = [];
          for (const [type, field] of [
            ['ReplaceFullPath', 'replaceFullPath'],
            ['ReplacePrefixMatch', 'replacePrefixMatch'],
          ] as const) {
            if (p.type === type && p[field] === undefined) problems.push({ field: childKey(path, field), message: `is required when type is ${type}` });
            if (p.type !== type && p[field] !== undefined) problems.push({ field: childKey(path, field), message: `may only be set when type is ${type}` });
          }
          return problems;
        },
      ],
    },
  );

export const requestRedirect = () =>
  obj({
    scheme: str({ enum: ['http', 'https'] }),
    hostname: preciseHostname(),
    path: pathModifier(),
    port: portNumber(),
    statusCode: int({ enum: [301, 302, 303, 307, 308] }),
  });

export const urlRewrite = () => obj({ hostname: preciseHostname(), path: pathModifier() });

const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'];
const CORS_ORIGIN_PATTERN = '(^\\*$)|(^(http(s)?):\\/\\/(((\\*\\.)?([a-zA-Z0-9\\-]+\\.)*[a-zA-Z0-9-]+|\\*)(:([0-9]{1,5}))?)$)';

const wildcardAlone =
  (what: string): Rule =>
  (items: unknown[], path) =>
    items.includes('*') && items.length > 1 ? [{ field: path, message: `"*" must be the only entry when given (it already allows all ${what})` }] : [];

export const cors = () =>
  obj({
    allowOrigins: list(str({ minLength: 1, maxLength: 253, pattern: CORS_ORIGIN_PATTERN, patternHint: '"*" or an origin such as "https://example.com", "https://*.example.com:8443"' }), { maxItems: 64, listType: 'set', rules: [wildcardAlone('origins')] }),
    allowCredentials: bool(),
    allowMethods: list(str({ enum: CORS_METHODS }), { maxItems: 9, listType: 'set', rules: [wildcardAlone('methods')] }),
    allowHeaders: list(headerName(), { maxItems: 64, listType: 'set', rules: [wildcardAlone('headers')] }),
    exposeHeaders: list(headerName(), { maxItems: 64, listType: 'set' }),
    maxAge: int32({ minimum: 1 }),
  });

export const externalAuth = () =>
  obj(
    {
      protocol: str({ enum: ['HTTP', 'GRPC'] }),
      backendRef: backendObjectReference(),
      grpc: obj({ allowedHeaders: list(str(), { maxItems: 64, listType: 'set' }) }),
      http: obj({
        path: str({ maxLength: 1024, pattern: PATH_CHARS_PATTERN, patternHint: 'a path of URL path characters and percent-encodings' }),
        allowedHeaders: list(str(), { maxItems: 64, listType: 'set' }),
        allowedResponseHeaders: list(str(), { maxItems: 64, listType: 'set' }),
      }),
      forwardBody: obj({ maxSize: int() }),
    },
    {
      required: ['backendRef', 'protocol'],
      rules: [
        (a, path) => {
          const problems: Problem[] = [];
          for (const [protocol, field] of [
            ['GRPC', 'grpc'],
            ['HTTP', 'http'],
          ] as const) {
            if (a.protocol === protocol && a[field] === undefined) problems.push({ field: childKey(path, field), message: `is required when protocol is ${protocol}` });
            if (a.protocol !== protocol && a[field] !== undefined) problems.push({ field: childKey(path, field), message: `may only be set when protocol is ${protocol}` });
          }
          return problems;
        },
      ],
    },
  );

/** Filter type → the field that holds its configuration. */
const FILTER_FIELD: Record<string, string> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
  ExtensionRef: 'extensionRef',
};

/** A filter sets the field of its type and no other filter's field. */
function filterFieldMatchesType(types: readonly string[]): Rule {
  return (f, path) => {
    const problems: Problem[] = [];
    for (const type of types) {
      const field = FILTER_FIELD[type]!;
      if (f.type === type && f[field] === undefined) problems.push({ field: childKey(path, field), message: `is required when type is ${type}` });
      if (f.type !== type && f[field] !== undefined) problems.push({ field: childKey(path, field), message: `may only be set when type is ${type}` });
    }
    return problems;
  };
}

/** Each filter type given at most once in one list (except mirrors and extensions). */
function noRepeats(types: readonly string[]): Rule {
  return (filters: any[], path) => {
    const problems: Problem[] = [];
    for (const type of types) {
      const at = filters.flatMap((f, i) => (f?.type === type ? [i] : []));
      for (const i of at.slice(1)) {
        problems.push({ field: childKey(childIndex(path, i), 'type'), message: `${type} may appear at most once in a filter list (first at ${childIndex(path, at[0]!)})` });
      }
    }
    return problems;
  };
}

const redirectXorRewrite: Rule = (filters: any[], path) => {
  const redirect = filters.findIndex((f) => f?.type === 'RequestRedirect');
  const rewrite = filters.findIndex((f) => f?.type === 'URLRewrite');
  return redirect >= 0 && rewrite >= 0
    ? [{ field: childIndex(path, Math.max(redirect, rewrite)), message: 'RequestRedirect and URLRewrite cannot be used together in one filter list' }]
    : [];
};

const HTTP_FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'];

export const httpRouteFilter = (): ObjectSchema =>
  obj(
    {
      type: str({ enum: HTTP_FILTER_TYPES }),
      requestHeaderModifier: headerModifier(),
      responseHeaderModifier: headerModifier(),
      requestMirror: requestMirror(),
      requestRedirect: requestRedirect(),
      urlRewrite: urlRewrite(),
      cors: cors(),
      externalAuth: externalAuth(),
      extensionRef: localObjectReference(),
    },
    { required: ['type'], rules: [filterFieldMatchesType(HTTP_FILTER_TYPES)] },
  );

export const httpRouteFilters = () =>
  list(httpRouteFilter(), {
    maxItems: 16,
    listType: 'atomic',
    rules: [redirectXorRewrite, noRepeats(['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'])],
  });

const GRPC_FILTER_TYPES = ['ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror', 'ExtensionRef'];

export const grpcRouteFilters = () =>
  list(
    obj(
      {
        type: str({ enum: GRPC_FILTER_TYPES }),
        requestHeaderModifier: headerModifier(),
        responseHeaderModifier: headerModifier(),
        requestMirror: requestMirror(),
        extensionRef: localObjectReference(),
      },
      { required: ['type'], rules: [filterFieldMatchesType(GRPC_FILTER_TYPES)] },
    ),
    { maxItems: 16, listType: 'atomic', rules: [noRepeats(['RequestHeaderModifier', 'ResponseHeaderModifier'])] },
  );

