// The conformance features Wicket claims in GatewayClass status.supportedFeatures: exactly the
// ones whose semantics the translator compiles AND the data plane serves today. Add a name here
// only when its data plane lands (the conformance suite runs every test these names enable).
export const SUPPORTED_FEATURES: readonly string[] = [
  'Gateway',
  'HTTPRoute',
  'ReferenceGrant',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteSchemeRedirect',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteDestinationPortMatching',
].toSorted();
