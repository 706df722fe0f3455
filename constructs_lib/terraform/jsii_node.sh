#!/bin/sh
# The Node.js command infraplan gives jsii (JSII_NODE, set by jsii_host.py): `node` from PATH with
# --preserve-symlinks, as jsii's own runtime starts its kernel. With it the kernel links each
# package it loads (constructs, cdktf) into its work folder as one symbolic link to its package
# cache, instead of hard-linking every file of it there at each start and removing them all at exit.
exec node --preserve-symlinks "$@"
