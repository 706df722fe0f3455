"""Composition: the stacks of a plan, the cdktf and Pulumi entry points, the CLI."""
