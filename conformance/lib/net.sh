# Host networking for the Pods: one bridge carrying 198.18.0.1/16 (the Node IP), and
# blackhole routes so that nothing addressed to the test range but not on the bridge
# (Service ClusterIPs, unknown Pod IPs) can ever leave the machine. The host does not
# forward (no NAT, no default route inside Pods), so Pods reach only the host and each other.
# Sourced by run.sh after common.sh.

net_up() {
  net_down
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  ip route add blackhole "$TEST_RANGE" metric 4000
  ip route add blackhole "$SERVICE_CIDR" metric 4000
  log "bridge $BRIDGE $NODE_IP/${POD_CIDR#*/} up; blackhole routes for $TEST_RANGE and $SERVICE_CIDR"
}

# Idempotent: also removes leftovers of an earlier run that was killed hard.
net_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^fkl-/ {print $1}'); do
    ip netns delete "$ns" 2>/dev/null || true
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
  ip route delete blackhole "$TEST_RANGE" 2>/dev/null || true
  ip route delete blackhole "$SERVICE_CIDR" 2>/dev/null || true
}
