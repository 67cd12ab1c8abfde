// Kubernetes time formats. metav1.Time (conditions) is RFC 3339 to the second; metav1.MicroTime
// (Lease renewTime, Event eventTime) must carry exactly six fractional digits or the API server
// rejects it, while Date#toISOString gives three.

export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
