#!/bin/sh
# The Node.js command infraplan gives jsii (JSII_NODE, set by jsii_host.py): `node` from PATH with
# --preserve-symlinks, as jsii's own runtime starts its kernel. With it the kernel links each
# package it loads (constructs, cdktf) into its work folder as one symbolic link to its package
# cache, instead of hard-linking every file of it there at each start and removing them all at exit.
# --max-semi-space-size=4 (MiB; V8's default lets it grow to 16): a smaller young generation, which
# the kernel's many short-lived objects fill and empty; Node.js's peak while synthesizing 300
# stacks falls by about 30 MiB at the same speed (docs/performance.md, "Node.js's young generation").
exec node --preserve-symlinks --max-semi-space-size=4 "$@"
