#!/bin/sh
# Run by the nginx image's entrypoint (mounted into /docker-entrypoint.d by docker-compose.yml) before nginx starts:
# adds the IPv6 listener that deploy/nginx.conf includes, only when the container has an IPv6 address (::1 at
# least). Where IPv6 is off, binding [::] fails and nginx would not start at all; then it listens on IPv4 only.
set -eu
conf=${ARBITER_IPV6_LISTEN_CONF:-/etc/nginx/arbiter-listen-ipv6.conf}
if grep -q . "${ARBITER_IF_INET6:-/proc/net/if_inet6}" 2>/dev/null; then
  echo 'listen [::]:8080;' >"$conf"
  echo "$0: IPv6 is available: listening on [::]:8080 as well"
else
  rm -f "$conf"
  echo "$0: no IPv6 in this container: listening on IPv4 only"
fi
