"""Hostile and broken inputs (issue #10): the corpus cases and the harness that runs them.

``cases.py`` lists the cases (each a mutation of a scratch copy of the example plan, or of
the command line, and what infraplan promises for it); ``harness.py`` runs ``infraplan
validate`` and ``infraplan synth`` on them, in-process or in a subprocess with a timeout and
a memory limit. ``tests/test_hostile_corpus.py`` is the test module.
"""
