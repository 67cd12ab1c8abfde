// ListenerSet (v1): extra listeners for a parent Gateway.
import { group, kind, namespace, objectName } from './common.ts';
import { listeners } from './listeners.ts';
import { obj, type ObjectSchema } from './schema.ts';

export const listenerSetSchema = (): ObjectSchema =>
  obj(
    {
      parentRef: obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace() }, { required: ['name'] }),
      listeners: listeners(),
    },
    { required: ['listeners', 'parentRef'] },
  );
