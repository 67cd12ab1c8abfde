// GatewayClass (v1; v1beta1 is served with the same schema).
import { DOMAIN_PREFIXED_PATH, group, kind, namespace, objectName } from './common.ts';
import { obj, str, type ObjectSchema } from './schema.ts';

export const gatewayClassSchema = (): ObjectSchema =>
  obj(
    {
      controllerName: str({ minLength: 1, maxLength: 253, pattern: `^${DOMAIN_PREFIXED_PATH}`, patternHint: 'a domain-prefixed path such as "example.com/gateway-controller"' }),
      parametersRef: obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace() }, { required: ['group', 'kind', 'name'] }),
      description: str({ maxLength: 64 }),
    },
    { required: ['controllerName'] },
  );
