// ReferenceGrant (v1; v1beta1 is served with the same schema).
import { group, kind, namespace, objectName } from './common.ts';
import { list, obj, type ObjectSchema } from './schema.ts';

export const referenceGrantSchema = (): ObjectSchema =>
  obj(
    {
      from: list(obj({ group: group(), kind: kind(), namespace: namespace() }, { required: ['group', 'kind', 'namespace'] }), {
        minItems: 1,
        maxItems: 16,
        listType: 'atomic',
      }),
      to: list(obj({ group: group(), kind: kind(), name: objectName() }, { required: ['group', 'kind'] }), { minItems: 1, maxItems: 16, listType: 'atomic' }),
    },
    { required: ['from', 'to'] },
  );
