#!/bin/sh
# cni-tap.sh - a minimal CNI plugin for the CRI pod test, installed as both
# "loopback" (which containerd's CRI always runs) and "integ-tap".
#
# The pod gets a real network namespace (made by CRI) with lo up and, for
# integ-tap, an eth0 holding the pod IP 10.250.0.2/24.  eth0 is a tap device
# nobody reads: nothing is connected to the host, so the test touches no host
# network configuration, yet the pod has a pod IP its containers can use.
set -eu
cat >/dev/null  # the network config: nothing in it matters here
case "${CNI_COMMAND:-}" in
VERSION)
    echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}'
    ;;
ADD)
    if [ "$(basename "$0")" = loopback ]; then
        nsenter --net="$CNI_NETNS" ip link set lo up >&2
        printf '{"cniVersion":"0.4.0","interfaces":[{"name":"lo","sandbox":"%s"}],"ips":[]}\n' \
            "$CNI_NETNS"
    else
        nsenter --net="$CNI_NETNS" sh -c "ip tuntap add dev $CNI_IFNAME mode tap &&
            ip addr add 10.250.0.2/24 dev $CNI_IFNAME && ip link set $CNI_IFNAME up" >&2
        printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],' \
            "$CNI_IFNAME" "$CNI_NETNS"
        printf '"ips":[{"version":"4","address":"10.250.0.2/24","interface":0}]}\n'
    fi
    ;;
DEL|CHECK)
    ;;
*)
    echo "{\"code\":4,\"msg\":\"unknown CNI_COMMAND '${CNI_COMMAND:-}'\"}"
    exit 1
    ;;
esac
