#!/bin/sh
# Start of the gateway image: write what nginx cannot read from the environment itself into
# /tmp/nginx/runtime.conf (included by nginx.conf), then run nginx in the foreground.
#
#   GATEWAY_RESOLVER         DNS server(s) for the API names; default: the nameservers of
#                            /etc/resolv.conf (Docker's 127.0.0.11 on a compose network)
#   GATEWAY_DNS_TTL          seconds a resolved address is kept (default 5)
#   PUBLIC_HTTPS_PORT        the HTTPS port clients see, for the HTTP->HTTPS redirect (443)
#   GATEWAY_TRUSTED_PROXIES  comma-separated addresses/CIDRs of load balancers in front whose
#                            X-Forwarded-For names the real client (rate limits, logs)
set -eu

mkdir -p /tmp/nginx
resolver=${GATEWAY_RESOLVER:-}
if [ -z "$resolver" ]; then
    while read -r key value _; do
        [ "$key" = nameserver ] || continue
        case "$value" in
            *%*) continue ;;                                  # link-local with a zone: unusable
            *:*) resolver="$resolver [$value]" ;;             # IPv6 needs brackets in nginx
            *) resolver="$resolver $value" ;;
        esac
    done < /etc/resolv.conf
fi
if [ -z "$resolver" ]; then
    echo "gateway: no nameserver in /etc/resolv.conf; set GATEWAY_RESOLVER" >&2
    exit 1
fi

port=${PUBLIC_HTTPS_PORT:-443}
case "$port" in
    443) suffix="" ;;
    *[!0-9]*|"") echo "gateway: PUBLIC_HTTPS_PORT must be a port number, got '$port'" >&2; exit 1 ;;
    *) suffix=":$port" ;;
esac

{
    echo "resolver$resolver valid=${GATEWAY_DNS_TTL:-5}s ipv6=off;"
    echo "resolver_timeout 3s;"
    echo "map \$host \$public_https_port { default \"$suffix\"; }"
    if [ -n "${GATEWAY_TRUSTED_PROXIES:-}" ]; then
        echo "$GATEWAY_TRUSTED_PROXIES" | tr ',' '\n' | while read -r cidr; do
            [ -n "$cidr" ] && echo "set_real_ip_from $cidr;"
        done
        echo "real_ip_header X-Forwarded-For;"
        echo "real_ip_recursive on;"
    fi
} > /tmp/nginx/runtime.conf

exec "$@"
