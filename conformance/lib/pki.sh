# Certificates and kubeconfig for the local control plane, made with openssl once and
# kept in .work/pki (they are valid for ten years and bound to 127.0.0.1).
# Sourced by run.sh after common.sh.

_sign() { # name subject san(ext or "") ca-extensions
  local name=$1 subj=$2 san=$3
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${4:-serverAuth,clientAuth}"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

ensure_pki() {
  if [[ -f $PKI/.complete ]]; then return 0; fi
  log "generating certificates in $PKI"
  rm -rf "$PKI" && mkdir -p "$PKI"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -subj "/CN=wicket-conformance-ca" \
    -days 3650 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$PKI/ca.crt" 2>/dev/null
  # 198.19.0.1 is the ClusterIP the apiserver gives the "kubernetes" Service.
  _sign apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:198.19.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" serverAuth
  # system:masters: the harness's clients (KCM, fakelet, suite, Wicket) are all trusted.
  _sign admin "/O=system:masters/CN=wicket-conformance-admin" "" clientAuth
  _sign kubelet "/CN=fakelet" "IP:$NODE_IP" serverAuth
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  touch "$PKI/.complete"
}

# Embedded data rather than file paths, so any client library reads it the same way.
write_kubeconfig() {
  local b64='base64 -w0'
  cat >"$KUBECONFIG_FILE" <<KC
apiVersion: v1
kind: Config
clusters:
- name: conformance
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 <"$PKI/admin.crt")
    client-key-data: $($b64 <"$PKI/admin.key")
contexts:
- name: conformance
  context:
    cluster: conformance
    user: admin
current-context: conformance
KC
  chmod 600 "$KUBECONFIG_FILE"
}
