// Every condition Wicket writes, with the spec's types and reasons, in one reviewed place.
// Constructors return conditions without observedGeneration and lastTransitionTime: the status
// builder stamps observedGeneration from the object, the provider fills in the transition time.
import type { Condition } from '../resources/types.ts';

export type Cond = Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>;

function cond(type: string, ok: boolean | 'Unknown', reason: string, message: string): Cond {
  return { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message };
}

// ---- GatewayClass -------------------------------------------------------------------------------

export const classAccepted = (): Cond => cond('Accepted', true, 'Accepted', 'GatewayClass is accepted by Wicket');
export const classInvalidParameters = (detail: string): Cond =>
  cond('Accepted', false, 'InvalidParameters', `Invalid parametersRef: ${detail}`);

// ---- Gateway ------------------------------------------------------------------------------------

export const gatewayAccepted = (): Cond => cond('Accepted', true, 'Accepted', 'Gateway is accepted');
export const gatewaySomeListenersInvalid = (invalid: string[]): Cond =>
  cond('Accepted', true, 'ListenersNotValid', `Gateway is accepted, but these listeners are not valid: ${invalid.join(', ')}`);
export const gatewayNoValidListeners = (invalid: string[]): Cond =>
  cond('Accepted', false, 'ListenersNotValid', `No valid listeners (invalid: ${invalid.join(', ') || 'none given'})`);
export const gatewayClassNotAccepted = (cls: string): Cond =>
  cond('Accepted', false, 'Invalid', `GatewayClass ${cls} is not accepted`);
export const gatewayInvalidParameters = (detail: string): Cond =>
  cond('Accepted', false, 'InvalidParameters', `Invalid spec.infrastructure.parametersRef: ${detail}`);
export const gatewayUnsupportedAddress = (detail: string): Cond =>
  cond('Accepted', false, 'UnsupportedAddress', detail);
export const gatewayUnreadable = (detail: string): Cond => cond('Accepted', false, 'Invalid', `Gateway spec cannot be read: ${detail}`);
export const gatewayProgrammed = (addresses: string[]): Cond =>
  cond('Programmed', true, 'Programmed', `Gateway is programmed on ${addresses.join(', ')}`);
export const gatewayNotProgrammedInvalid = (detail: string): Cond =>
  cond('Programmed', false, 'Invalid', detail);
export const gatewayAddressNotUsable = (detail: string): Cond =>
  cond('Programmed', false, 'AddressNotUsable', detail);
export const gatewayResolvedRefs = (): Cond => cond('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved');
export const gatewayInvalidClientCertificateRef = (detail: string): Cond =>
  cond('ResolvedRefs', false, 'InvalidClientCertificateRef', detail);
export const gatewayInsecureFrontendValidation = (): Cond =>
  cond('InsecureFrontendValidationMode', true, 'ConfigurationChanged', 'Client certificate validation allows connections without a valid client certificate (AllowInsecureFallback)');
export const gatewayRefNotPermitted = (detail: string): Cond => cond('ResolvedRefs', false, 'RefNotPermitted', detail);

// ---- Listener -----------------------------------------------------------------------------------

export const listenerAccepted = (): Cond => cond('Accepted', true, 'Accepted', 'Listener is accepted');
export const listenerUnsupportedProtocol = (protocol: string): Cond =>
  cond('Accepted', false, 'UnsupportedProtocol', `Protocol ${JSON.stringify(protocol)} is not supported (HTTP, HTTPS, TLS, TCP, UDP are)`);
export const listenerUnsupportedValue = (detail: string): Cond => cond('Accepted', false, 'UnsupportedValue', detail);
export const listenerPortUnavailable = (socket: string, detail: string): Cond =>
  cond('Accepted', false, 'PortUnavailable', `Cannot bind ${socket}: ${detail}`);
export const listenerNotAcceptedConflicted = (reason: string, detail: string): Cond =>
  cond('Accepted', false, reason, detail);
export const listenerNoValidCACertificate = (detail: string): Cond =>
  cond('Accepted', false, 'NoValidCACertificate', detail);

export const listenerResolvedRefs = (): Cond => cond('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved');
export const listenerInvalidRouteKinds = (kinds: string[]): Cond =>
  cond('ResolvedRefs', false, 'InvalidRouteKinds', `Route kinds not supported on this listener: ${kinds.join(', ')}`);
export const listenerInvalidCertificateRef = (detail: string): Cond =>
  cond('ResolvedRefs', false, 'InvalidCertificateRef', detail);
export const listenerRefNotPermitted = (detail: string): Cond => cond('ResolvedRefs', false, 'RefNotPermitted', detail);
export const listenerInvalidCACertificateRef = (detail: string): Cond =>
  cond('ResolvedRefs', false, 'InvalidCACertificateRef', detail);
export const listenerInvalidCACertificateKind = (detail: string): Cond =>
  cond('ResolvedRefs', false, 'InvalidCACertificateKind', detail);

export const listenerProgrammed = (): Cond => cond('Programmed', true, 'Programmed', 'Listener is programmed');
export const listenerNotProgrammed = (detail: string): Cond => cond('Programmed', false, 'Invalid', detail);

export const listenerHostnameConflict = (detail: string): Cond => cond('Conflicted', true, 'HostnameConflict', detail);
export const listenerProtocolConflict = (detail: string): Cond => cond('Conflicted', true, 'ProtocolConflict', detail);
export const listenerOverlappingHostnames = (others: string[]): Cond =>
  cond('OverlappingTLSConfig', true, 'OverlappingHostnames', `Hostname overlaps with listeners ${others.join(', ')} on the same port`);

// ---- ListenerSet --------------------------------------------------------------------------------

export const listenerSetAccepted = (): Cond => cond('Accepted', true, 'Accepted', 'ListenerSet is accepted');
export const listenerSetSomeListenersInvalid = (invalid: string[]): Cond =>
  cond('Accepted', true, 'ListenersNotValid', `ListenerSet is accepted, but these listeners are not valid: ${invalid.join(', ')}`);
export const listenerSetNoValidListeners = (invalid: string[]): Cond =>
  cond('Accepted', false, 'ListenersNotValid', `No valid listeners (invalid: ${invalid.join(', ')})`);
export const listenerSetNotAllowed = (detail: string): Cond => cond('Accepted', false, 'NotAllowed', detail);
export const listenerSetParentNotAccepted = (detail: string): Cond => cond('Accepted', false, 'ParentNotAccepted', detail);
export const listenerSetProgrammed = (): Cond => cond('Programmed', true, 'Programmed', 'ListenerSet is programmed');
export const listenerSetNotProgrammed = (reason: string, detail: string): Cond => cond('Programmed', false, reason, detail);

// ---- Routes -------------------------------------------------------------------------------------

// The two conditions every healthy route carries: one frozen object each, shared by every route
// (thousands of them; conditions are never mutated, a status copies them when it stamps them).
const ROUTE_ACCEPTED: Cond = Object.freeze(cond('Accepted', true, 'Accepted', 'Route is accepted'));
const ROUTE_RESOLVED_REFS: Cond = Object.freeze(cond('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved'));

export const routeAccepted = (): Cond => ROUTE_ACCEPTED;
export const routeNotAllowedByListeners = (detail: string): Cond => cond('Accepted', false, 'NotAllowedByListeners', detail);
export const routeNoMatchingListenerHostname = (): Cond =>
  cond('Accepted', false, 'NoMatchingListenerHostname', 'No listener hostname intersects the route hostnames');
export const routeNoMatchingParent = (detail: string): Cond => cond('Accepted', false, 'NoMatchingParent', detail);
export const routeUnsupportedValue = (detail: string): Cond => cond('Accepted', false, 'UnsupportedValue', detail);
export const routeIncompatibleFilters = (detail: string): Cond => cond('Accepted', false, 'IncompatibleFilters', detail);

export const routeUnreadable = (detail: string): Cond => cond('Accepted', false, 'UnsupportedValue', `Route spec cannot be read: ${detail}`);
export const routeResolvedRefs = (): Cond => ROUTE_RESOLVED_REFS;
export const routeRefNotPermitted = (detail: string): Cond => cond('ResolvedRefs', false, 'RefNotPermitted', detail);
export const routeInvalidKind = (detail: string): Cond => cond('ResolvedRefs', false, 'InvalidKind', detail);
export const routeBackendNotFound = (detail: string): Cond => cond('ResolvedRefs', false, 'BackendNotFound', detail);
export const routeUnsupportedProtocol = (detail: string): Cond => cond('ResolvedRefs', false, 'UnsupportedProtocol', detail);

export const routePartiallyInvalid = (detail: string): Cond =>
  cond('PartiallyInvalid', true, 'UnsupportedValue', `Dropped Rule(s): ${detail}`);

// ---- BackendTLSPolicy ---------------------------------------------------------------------------

export const policyAccepted = (): Cond => cond('Accepted', true, 'Accepted', 'Policy is accepted');
export const policyConflicted = (winner: string): Cond =>
  cond('Accepted', false, 'Conflicted', `Another policy (${winner}) already targets this backend`);
export const policyNoValidCACertificate = (detail: string): Cond => cond('Accepted', false, 'NoValidCACertificate', detail);
export const policyInvalid = (detail: string): Cond => cond('Accepted', false, 'Invalid', detail);
export const policyResolvedRefs = (): Cond => cond('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved');
export const policyInvalidCACertificateRef = (detail: string): Cond =>
  cond('ResolvedRefs', false, 'InvalidCACertificateRef', detail);
export const policyInvalidKind = (detail: string): Cond => cond('ResolvedRefs', false, 'InvalidKind', detail);
